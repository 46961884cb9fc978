/*
 * sl_ui_assets.c - the UI's stylesheet and script (ui/app.css, ui/app.js)
 * compiled into the binary as NUL-terminated strings, so the UI works
 * offline with no file beside the binary and no build step. The files are
 * included byte for byte by the assembler (.incbin, path relative to the
 * top of the tree, where make runs); the Makefile rebuilds this object
 * when they change.
 */
#include "sl_ui_int.h"

#define SL_UI_ASSET(sym, path)                                                                                         \
    __asm__(".section .rodata\n"                                                                                       \
            ".global " #sym "\n"                                                                                       \
            ".type " #sym ", @object\n"                                                                                \
            ".balign 16\n" #sym ":\n"                                                                                  \
            ".incbin \"" path "\"\n"                                                                                   \
            ".byte 0\n"                                                                                                \
            ".size " #sym ", . - " #sym "\n"                                                                           \
            ".previous\n")

SL_UI_ASSET(sl_ui_css, "src/observe/ui/app.css");
SL_UI_ASSET(sl_ui_js, "src/observe/ui/app.js");
