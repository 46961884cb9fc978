/*
 * sl_ui_pages.c - the HTML of the UI's pages: a small shell per page (title,
 * navigation, the data the script needs as escaped attributes) around the
 * compiled-in stylesheet and script (ui/app.css, ui/app.js, embedded by
 * sl_ui_assets.c). The script renders from the JSON API with textContent
 * and SVG elements only, never HTML from data.
 */
#include "sl_ui_int.h"

#include <stdio.h>

static void sl_ui_head(sl_ui_ctx *u, sl_buf *b, const char *title)
{
    sl_buf_printf(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                     "<link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/static/app.css\"><title>");
    sl_ui_html_text(u, b, title);
    sl_buf_append(b, " · sluice ", 11);
    sl_ui_html_text(u, b, u->job->name);
    sl_buf_printf(b, "</title></head>\n<body><a class=\"skip\" href=\"#app\">skip to content</a>"
                     "<header><nav aria-label=\"main\"><a href=\"/\" class=\"brand\">sluice</a> <span class=\"job\">job ");
    sl_ui_html_text(u, b, u->job->name);
    sl_buf_printf(b, "</span> <a href=\"/\">runs</a> <a href=\"/metrics\">metrics</a></nav></header>\n");
}

void sl_ui_page(sl_ui_ctx *u, sl_buf *b, const char *title, const char *kind, int64_t run_id, const char *node)
{
    sl_ui_head(u, b, title);
    sl_buf_printf(b, "<main id=\"app\" tabindex=\"-1\" data-kind=\"%s\" data-run=\"%lld\" data-node=\"", kind,
                  (long long)run_id);
    sl_ui_html_text(u, b, node ? node : "");
    sl_buf_printf(b, "\"><p class=\"loading\">loading…</p></main>\n"
                     "<script src=\"/static/app.js\"></script></body></html>\n");
}

void sl_ui_page_404(sl_ui_ctx *u, sl_buf *b, const char *what)
{
    sl_ui_head(u, b, "not found");
    sl_buf_printf(b, "<main id=\"app\"><h1>Not found</h1><p class=\"notfound\">");
    sl_ui_html_text(u, b, what);
    sl_buf_printf(b, ".</p><p><a href=\"/\">All runs of this job</a></p></main></body></html>\n");
}
