/*
 * test_ui.c - the web UI's text safety (observe/sl_ui_int.h): HTML and
 * JSON escaping, password redaction of every string, the scrub of whole
 * bodies; and the events list (observe/sl_event.h).
 */
#include "sl_test.h"

#include "core/sl_alloc.h"
#include "observe/sl_event.h"
#include "observe/sl_ui_int.h"

#include <string.h>

static sl_ui_ctx ctx_with_secret(void)
{
    sl_ui_ctx u = { 0 };
    sl_secrets_add_dsn(&u.secrets, "postgres://reader:Hunter2-xyz@db.example:5432/shop");
    return u;
}

Test(ui, html_text_escapes_markup)
{
    sl_ui_ctx u = ctx_with_secret();
    sl_buf b = { 0 };
    sl_ui_html_text(&u, &b, "<script>alert('x') & \"y\"</script>");
    cr_assert_str_eq(sl_buf_cstr(&b), "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
    sl_buf_free(&b);
    sl_secrets_free(&u.secrets);
}

Test(ui, json_text_escapes_and_redacts)
{
    sl_ui_ctx u = ctx_with_secret();
    sl_buf b = { 0 };
    sl_ui_json_text(&u, &b, "a \"<b>\"\n cannot connect to postgres://reader:Hunter2-xyz@db.example/shop");
    const char *s = sl_buf_cstr(&b);
    cr_assert(!strstr(s, "Hunter2-xyz"), "%s", s);
    cr_assert(!strchr(s, '<'), "%s", s);
    cr_assert(strstr(s, "\\u003cb>"), "%s", s);
    cr_assert(strstr(s, "\\n"), "%s", s);
    cr_assert_eq(s[0], '"');
    sl_buf_clear(&b);
    sl_ui_json_text(&u, &b, NULL);
    cr_assert_str_eq(sl_buf_cstr(&b), "null");
    sl_buf_free(&b);
    sl_secrets_free(&u.secrets);
}

Test(ui, scrub_removes_every_occurrence)
{
    sl_ui_ctx u = ctx_with_secret();
    sl_buf b = { 0 };
    const char text[] = "Hunter2-xyz and again Hunter2-xyzHunter2-xyz end";
    sl_buf_append(&b, text, strlen(text));
    sl_ui_scrub(&u, &b);
    cr_assert(!strstr(sl_buf_cstr(&b), "Hunter2"), "%s", sl_buf_cstr(&b));
    cr_assert_eq(b.len, strlen(text));   /* same length: offsets in a stream stay right */
    sl_buf_free(&b);
    sl_secrets_free(&u.secrets);
}

static int seen[3];
static void obs0(void *ctx, const sl_event *ev) { seen[0] = ev->kind == SL_EV_TASK_FINISHED && ev->time > 0; }
static void obs1(void *ctx, const sl_event *ev) { seen[*(int *)ctx] = 1; }

Test(ui, events_reach_every_observer_in_order)
{
    sl_events evs = { 0 };
    int which = 2;
    cr_assert(sl_events_add(&evs, (sl_observer){ obs0, NULL }));
    cr_assert(sl_events_add(&evs, (sl_observer){ obs1, &which }));
    for (int i = evs.n; i < SL_EVENTS_MAX; i++) cr_assert(sl_events_add(&evs, (sl_observer){ obs1, &which }));
    cr_assert(!sl_events_add(&evs, (sl_observer){ obs1, &which }), "the list is bounded");
    sl_event ev = { .kind = SL_EV_TASK_FINISHED, .node = 0, .task = 1 };
    sl_events_emit(&evs, &ev);
    cr_assert(seen[0] && seen[2]);
    sl_events_emit(NULL, &ev);   /* no observers: nothing */
    cr_assert_str_eq(sl_event_kind_name(SL_EV_RUN_FAILED), "run_failed");
}
