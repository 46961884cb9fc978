/*
 * sl_aws_creds.h - AWS credentials found the way AWS's own tools find them.
 *
 * Order: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) in
 * the environment; else the profile AWS_PROFILE (default "default") of
 * ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE), then of ~/.aws/config
 * (AWS_CONFIG_FILE; section "[profile NAME]", or "[default]"). The region
 * comes from AWS_REGION, AWS_DEFAULT_REGION or the profile's `region`.
 *
 * The secret and the token live only in this struct: they are never logged,
 * never put in an error message, and never written to the state store or a
 * manifest. sl_aws_creds_clear() wipes them.
 */
#ifndef SL_AWS_CREDS_H
#define SL_AWS_CREDS_H

#include "../core/sl_error.h"

typedef struct sl_aws_creds {
    char key_id[128];
    char secret[256];
    char token[4096];          /* "" when none */
    char region[64];           /* "" when none was configured */
    char source[300];          /* where they came from, for messages: "environment", "profile x of FILE" */
} sl_aws_creds;

/* 0, or -1 with err saying where it looked and what to set. */
int sl_aws_creds_load(sl_aws_creds *c, sl_err *err);
void sl_aws_creds_clear(sl_aws_creds *c);

#endif
