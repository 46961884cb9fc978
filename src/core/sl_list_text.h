/*
 * sl_list_text.h - a LIST value as text (a JSON array), see sl_list_text.c.
 */
#ifndef SL_LIST_TEXT_H
#define SL_LIST_TEXT_H

#include "sl_buf.h"
#include "sl_types.h"

/* Appends row's list (which must be valid) of LIST vector v to out. */
void sl_format_list_json(const sl_vector *v, size_t row, sl_buf *out);

#endif
