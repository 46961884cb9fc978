/*
 * test_s3_sign.c - AWS Signature Version 4 against AWS's published examples
 * (the SigV4 test suite's get-vanilla and get-vanilla-query-order-key-case,
 * and the examples of the S3 API reference: GET with a range, PUT, a
 * bucket listing), plus s3:// URL parsing, URI encoding and the shared
 * credentials files.
 */
#include "store/sl_aws_creds.h"
#include "store/sl_s3.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define S3_KEY "AKIAIOSFODNN7EXAMPLE"
#define S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static const char *sig_of(const char *auth)
{
    const char *s = strstr(auth, "Signature=");
    cr_assert(s, "%s", auth);
    return s + 10;
}

Test(s3_sign, suite_get_vanilla)
{
    sl_s3_header h[] = { { "host", "example.amazonaws.com" }, { "x-amz-date", "20150830T123600Z" } };
    char auth[1024];
    sl_s3_sign("GET", "/", "", h, 2, EMPTY_SHA, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
               "us-east-1", "service", "20150830T123600Z", auth, sizeof auth);
    cr_assert_str_eq(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                           "SignedHeaders=host;x-amz-date, "
                           "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

Test(s3_sign, suite_get_vanilla_query_order_key_case)
{
    sl_s3_header h[] = { { "x-amz-date", "20150830T123600Z" }, { "host", "example.amazonaws.com" } };
    char auth[1024];
    sl_s3_sign("GET", "/", "Param1=value1&Param2=value2", h, 2, EMPTY_SHA, "AKIDEXAMPLE",
               "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service", "20150830T123600Z", auth,
               sizeof auth);
    cr_assert_str_eq(sig_of(auth), "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

Test(s3_sign, s3_get_object_range)
{
    sl_s3_header h[] = { { "host", "examplebucket.s3.amazonaws.com" }, { "range", "bytes=0-9" },
                         { "x-amz-content-sha256", EMPTY_SHA }, { "x-amz-date", "20130524T000000Z" } };
    char auth[1024];
    sl_s3_sign("GET", "/test.txt", "", h, 4, EMPTY_SHA, S3_KEY, S3_SECRET, "us-east-1", "s3", "20130524T000000Z",
               auth, sizeof auth);
    cr_assert_str_eq(auth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                           "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                           "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

Test(s3_sign, s3_put_object)
{
    const char *body = "Welcome to Amazon S3.";
    char hash[65];
    sl_s3_sha256_hex(body, strlen(body), hash);
    cr_assert_str_eq(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    sl_buf uri = { 0 };
    sl_s3_uri_encode(&uri, "/test$file.text", true);
    cr_assert_str_eq(sl_buf_cstr(&uri), "/test%24file.text");
    sl_s3_header h[] = { { "date", "Fri, 24 May 2013 00:00:00 GMT" }, { "host", "examplebucket.s3.amazonaws.com" },
                         { "x-amz-date", "20130524T000000Z" }, { "x-amz-storage-class", "REDUCED_REDUNDANCY" },
                         { "x-amz-content-sha256", hash } };
    char auth[1024];
    sl_s3_sign("PUT", sl_buf_cstr(&uri), "", h, 5, hash, S3_KEY, S3_SECRET, "us-east-1", "s3", "20130524T000000Z",
               auth, sizeof auth);
    cr_assert_str_eq(sig_of(auth), "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    sl_buf_free(&uri);
}

Test(s3_sign, s3_list_objects)
{
    sl_s3_header h[] = { { "host", "examplebucket.s3.amazonaws.com" }, { "x-amz-content-sha256", EMPTY_SHA },
                         { "x-amz-date", "20130524T000000Z" } };
    char auth[1024];
    sl_s3_sign("GET", "/", "max-keys=2&prefix=J", h, 3, EMPTY_SHA, S3_KEY, S3_SECRET, "us-east-1", "s3",
               "20130524T000000Z", auth, sizeof auth);
    cr_assert_str_eq(sig_of(auth), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

Test(s3_sign, url_parse)
{
    char b[64], p[256];
    cr_assert_eq(sl_s3_url_parse("s3://shop-lake/raw/x/", b, sizeof b, p, sizeof p), 0);
    cr_assert_str_eq(b, "shop-lake");
    cr_assert_str_eq(p, "raw/x");
    cr_assert_eq(sl_s3_url_parse("s3://only", b, sizeof b, p, sizeof p), 0);
    cr_assert_str_eq(p, "");
    cr_assert_eq(sl_s3_url_parse("s3:///x", b, sizeof b, p, sizeof p), -1);
    cr_assert_eq(sl_s3_url_parse("/tmp/x", b, sizeof b, p, sizeof p), -1);
}

Test(s3_sign, credentials_from_profile)
{
    char dir[] = "/tmp/sl_s3credXXXXXX";
    cr_assert(mkdtemp(dir));
    char cred[300], conf[300];
    snprintf(cred, sizeof cred, "%s/credentials", dir);
    snprintf(conf, sizeof conf, "%s/config", dir);
    FILE *f = fopen(cred, "w");
    fprintf(f, "[default]\naws_access_key_id = DEF\naws_secret_access_key = defsecret\n\n"
               "[other]\n# comment\naws_access_key_id=OTHER\naws_secret_access_key = othersecret\n"
               "aws_session_token = tok\n");
    fclose(f);
    f = fopen(conf, "w");
    fprintf(f, "[profile other]\nregion = eu-west-1\n");
    fclose(f);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    setenv("AWS_CONFIG_FILE", conf, 1);
    setenv("AWS_PROFILE", "other", 1);
    sl_aws_creds c;
    sl_err err = SL_ERR_INIT;
    cr_assert_eq(sl_aws_creds_load(&c, &err), 0, "%s", err.msg);
    cr_assert_str_eq(c.key_id, "OTHER");
    cr_assert_str_eq(c.secret, "othersecret");
    cr_assert_str_eq(c.token, "tok");
    cr_assert_str_eq(c.region, "eu-west-1");
    setenv("AWS_PROFILE", "missing", 1);
    cr_assert_eq(sl_aws_creds_load(&c, &err), -1);
    cr_assert(strstr(err.msg, "missing"), "%s", err.msg);
    cr_assert(!strstr(err.msg, "othersecret") && !strstr(err.msg, "defsecret"), "%s", err.msg);
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    cr_assert_eq(sl_aws_creds_load(&c, &err), 0);
    cr_assert_str_eq(c.key_id, "ENVKEY");
    unlink(cred);
    unlink(conf);
    rmdir(dir);
}
