/* tools/bench/bench_dynamodb.c - the DynamoDB store's own cost per call (no network):
   an in-process transport answers every request with a canned reply, so the
   figures are what the library adds to each DynamoDB round trip: building the
   request JSON, SigV4 signing (cached key), the x-amz-crc32 check and parsing
   the reply. Median of 7 repeats; ns/op. */
#define _POSIX_C_SOURCE 200809L
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"
#include "bench.h"
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static char reply_body[8192];
static char reply_crc[64];

static int canned(void *user, const dynsess_http_request *req, dynsess_http_response *resp) {
    (void)user; (void)req;
    resp->status = 200;
    dynsess_buf_appendz(&resp->headers, reply_crc, 0);
    dynsess_buf_appendz(&resp->body, reply_body, 0);
    return DYNSESS_OK;
}


static const char *ENV_KV[] = {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY",
                               "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "AWS_SESSION_TOKEN",
                               "IQoJb3JpZ2luX2VjEXAMPLETOKENxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0};
static const char *env_get(void *user, const char *name) {
    int i;
    (void)user;
    for (i = 0; ENV_KV[i]; i += 2)
        if (!strcmp(ENV_KV[i], name)) return ENV_KV[i + 1];
    return 0;
}

static void set_reply(const char *data_json) {
    /* an item whose user_data holds data_json */
    dynsess_buf b;
    size_t i;
    dynsess_buf_init(&b, 0);
    dynsess_buf_appendz(&b, "{\"Item\":{\"session_id\":{\"S\":\"jclWhCvd-VMZDUWWvEt6hRHsqoRbZvWe5nxgAA9wL90\"},"
                            "\"user_data\":{\"S\":\"", 0);
    for (i = 0; data_json[i]; i++) {
        if (data_json[i] == '"' || data_json[i] == '\\') dynsess_buf_append(&b, "\\", 1, 0);
        dynsess_buf_append(&b, &data_json[i], 1, 0);
    }
    dynsess_buf_appendz(&b, "\"},\"created_at\":{\"N\":\"1700000000\"},\"ttl\":{\"N\":\"1800000000\"},"
                            "\"version\":{\"N\":\"12\"}}}", 0);
    snprintf(reply_body, sizeof reply_body, "%s", b.ptr);
    snprintf(reply_crc, sizeof reply_crc, "x-amz-crc32: %lu\r\n",
             (unsigned long)dynsess_crc32(reply_body, strlen(reply_body)));
    dynsess_buf_free(&b);
}

int main(void) {
    static const char *sizes[] = {"~300 B session", "~2 KB session"};
    dynsess_ddb_desc dd;
    dynsess_dynamodb_desc sd;
    dynsess_store *st = 0;
    dynsess_error err;
    dynsess_record r;
    char data[4096];
    int k;
    memset(&dd, 0, sizeof dd);
    dd.endpoint = "https://dynamodb.us-east-1.amazonaws.com";
    dd.region = "us-east-1";
    dd.env.get = env_get;
    dd.transport.fn = canned;
    memset(&sd, 0, sizeof sd);
    sd.ddb = dd;
    sd.no_startup_check = 1;
    if (dynsess_store_dynamodb_new(&sd, &st, &err)) { printf("store: %s\n", err.msg); return 1; }
    dynsess_buf_init(&r.data, 0);
    printf("%-16s %-34s %12s\n", "payload", "operation", "ns/op");
    for (k = 0; k < 2; k++) {
        double med[3][7];
        int op, rep, i, n = 20000;
        size_t len;
        strcpy(data, "{\"user\":{\"id\":42,\"name\":\"Ann Example\",\"email\":\"ann@example.com\"},"
                     "\"csrf\":\"k3J9v0aQwz2Xf8cLr5Tn1bHyUe4Pm6Gd\",\"cart\":[{\"sku\":\"A-1\",\"qty\":2}],"
                     "\"flash\":[],\"prefs\":{\"theme\":\"dark\",\"lang\":\"en\"},\"visits\":17");
        if (k == 1)
            while (strlen(data) < 2000) strcat(data, ",\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"");
        strcat(data, "}");
        len = strlen(data);
        set_reply(data);
        for (rep = 0; rep < 7; rep++) {
            for (op = 0; op < 3; op++) {
                double t0 = now_ns();
                for (i = 0; i < n; i++) {
                    dynsess_status rc;
                    if (op == 0) rc = st->vt->load(st, dynsess_cstr("jclWhCvd-VMZDUWWvEt6hRHsqoRbZvWe5nxgAA9wL90"),
                                                   1700000000, &r, &err);
                    else if (op == 1) {
                        dynsess_write w;
                        memset(&w, 0, sizeof w);
                        w.token = dynsess_cstr("jclWhCvd-VMZDUWWvEt6hRHsqoRbZvWe5nxgAA9wL90");
                        w.data.ptr = data;
                        w.data.len = len;
                        w.created_at = 1700000000;
                        w.expires_at = 1700003600;
                        w.version = 12;
                        rc = st->vt->save(st, &w, 1700000000, 0, &err);
                    } else {
                        rc = st->vt->touch(st, dynsess_cstr("jclWhCvd-VMZDUWWvEt6hRHsqoRbZvWe5nxgAA9wL90"),
                                           1700003600, 1700000000, &err);
                    }
                    if (rc) { printf("op %d: %s\n", op, err.msg); return 1; }
                }
                med[op][rep] = (now_ns() - t0) / n;
            }
        }
        for (op = 0; op < 3; op++) {
            static const char *names[] = {"load (GetItem + parse item)", "save (UpdateItem, versioned)",
                                          "touch (UpdateItem ttl)"};
            qsort(med[op], 7, sizeof med[op][0], cmp_d);
            printf("%-16s %-34s %12.0f\n", sizes[k], names[op], med[op][3]);
        }
    }
    dynsess_buf_free(&r.data);
    dynsess_store_close(st);
    return 0;
}
