/*
 * sl_aws_creds.c - credentials from the environment and the AWS
 * shared files (see sl_aws_creds.h). The INI reader knows what those files
 * hold: [section] lines, key = value lines, '#' and ';' comments.
 */
#include "sl_aws_creds.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sl_copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static char *sl_trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

/* Reads keys of `section` in file; a key already set is kept. Returns 1 when
 * the section was found. */
static int sl_ini_read(const char *file, const char *section, sl_aws_creds *c)
{
    FILE *f = fopen(file, "r");
    if (!f) return 0;
    char line[8192];
    bool in = false, found = false;
    while (fgets(line, sizeof line, f)) {
        char *s = sl_trim(line);
        if (!*s || *s == '#' || *s == ';') continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (end) *end = '\0';
            in = !strcmp(sl_trim(s + 1), section);
            found |= in;
            continue;
        }
        if (!in) continue;
        char *eq = strchr(s, '=');
        if (!eq) continue;
        *eq = '\0';
        char *k = sl_trim(s), *v = sl_trim(eq + 1);
        if (!strcmp(k, "aws_access_key_id") && !c->key_id[0]) sl_copy(c->key_id, sizeof c->key_id, v);
        else if (!strcmp(k, "aws_secret_access_key") && !c->secret[0]) sl_copy(c->secret, sizeof c->secret, v);
        else if (!strcmp(k, "aws_session_token") && !c->token[0]) sl_copy(c->token, sizeof c->token, v);
        else if (!strcmp(k, "region") && !c->region[0]) sl_copy(c->region, sizeof c->region, v);
    }
    fclose(f);
    return found;
}

int sl_aws_creds_load(sl_aws_creds *c, sl_err *err)
{
    memset(c, 0, sizeof *c);
    const char *region = getenv("AWS_REGION");
    if (!region || !*region) region = getenv("AWS_DEFAULT_REGION");
    if (region) sl_copy(c->region, sizeof c->region, region);
    const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
    if (id && *id && secret && *secret) {
        sl_copy(c->key_id, sizeof c->key_id, id);
        sl_copy(c->secret, sizeof c->secret, secret);
        sl_copy(c->token, sizeof c->token, getenv("AWS_SESSION_TOKEN"));
        sl_copy(c->source, sizeof c->source, "environment (AWS_ACCESS_KEY_ID)");
        return 0;
    }
    const char *profile = getenv("AWS_PROFILE");
    if (!profile || !*profile) profile = "default";
    const char *home = getenv("HOME");
    char cred_file[1024], conf_file[1024], section[300];
    const char *cf = getenv("AWS_SHARED_CREDENTIALS_FILE"), *gf = getenv("AWS_CONFIG_FILE");
    snprintf(cred_file, sizeof cred_file, "%s", cf && *cf ? cf : "");
    if (!cred_file[0]) snprintf(cred_file, sizeof cred_file, "%s/.aws/credentials", home ? home : "");
    snprintf(conf_file, sizeof conf_file, "%s", gf && *gf ? gf : "");
    if (!conf_file[0]) snprintf(conf_file, sizeof conf_file, "%s/.aws/config", home ? home : "");
    int found = sl_ini_read(cred_file, profile, c);
    if (!strcmp(profile, "default")) snprintf(section, sizeof section, "default");
    else snprintf(section, sizeof section, "profile %s", profile);
    found |= sl_ini_read(conf_file, section, c);
    if (c->key_id[0] && c->secret[0]) {
        snprintf(c->source, sizeof c->source, "profile %s of %s", profile, found ? cred_file : conf_file);
        return 0;
    }
    sl_aws_creds_clear(c);
    return sl_err_set(err, SL_EJOB, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                      "give profile '%s' aws_access_key_id and aws_secret_access_key in %s or %s%s",
                      profile, cred_file, conf_file, found ? "" : " (no such profile there)");
}

void sl_aws_creds_clear(sl_aws_creds *c)
{
    volatile char *p = (volatile char *)c;
    for (size_t i = 0; i < sizeof *c; i++) p[i] = 0;
}
