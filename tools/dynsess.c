// make-cflags: -DDYNSESS_WITH_CURL
// make-libs: -lcurl
/* dynsess - command-line companion of dynsess.h
   Replaces the AWS CLI steps of setting up a session table and helps debugging:
     dynsess table create|describe|ttl NAME
     dynsess session get|put|delete ID
     dynsess keygen
     dynsess seal | unseal
     dynsess sign
   Region, endpoint and credentials come from the standard AWS variables
   (AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL,
   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN).
   Exit status: 0 success, 1 the operation failed, 2 usage error.
   Build: make (produces build/dynsess); https endpoints need the libcurl
   transport (-DDYNSESS_WITH_CURL -lcurl), which `make` uses. */
#define _POSIX_C_SOURCE 200809L
#define DYNSESS_IMPLEMENTATION
#include "dynsess.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define CLI_DEFAULT_TABLE "LLM-Duel-Sessions"

/* ---- small utilities ------------------------------------------------------- */
static const char *cli_prog = "dynsess";

static int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nrun '%s %s--help' for usage\n", cli_prog, cmd ? cmd : "");
    return 2;
}

static int cli_fail(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s: error: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

static const char *cli_env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : 0;
}

/* Reads all of a file ("-" = stdin) into a malloc'd NUL-terminated buffer. */
static char *cli_read_all(const char *path, size_t max, size_t *len_out) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return 0;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            if (cap >= max + 1) { free(buf); buf = 0; errno = EFBIG; break; }
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = 0; break; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0) break;
    }
    if (buf && len > max) { free(buf); buf = 0; errno = EFBIG; }
    if (f != stdin) fclose(f);
    if (!buf) return 0;
    buf[len] = 0;
    if (len_out) *len_out = len;
    return buf;
}

/* Removes trailing whitespace (a value pasted or piped with a newline). */
static size_t cli_rtrim(char *s, size_t len) {
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
        s[--len] = 0;
    return len;
}

static void cli_fmt_time(int64_t t, char *out, size_t cap) {
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm)) snprintf(out, cap, "?");
}

static void cli_fmt_delta(int64_t d, char *out, size_t cap) {
    const char *sign = d < 0 ? "-" : "";
    if (d < 0) d = -d;
    if (d >= 86400) snprintf(out, cap, "%s%lldd%02lldh%02lldm", sign, (long long)(d / 86400), (long long)(d % 86400 / 3600), (long long)(d % 3600 / 60));
    else if (d >= 3600) snprintf(out, cap, "%s%lldh%02lldm%02llds", sign, (long long)(d / 3600), (long long)(d % 3600 / 60), (long long)(d % 60));
    else if (d >= 60) snprintf(out, cap, "%s%lldm%02llds", sign, (long long)(d / 60), (long long)(d % 60));
    else snprintf(out, cap, "%s%llds", sign, (long long)d);
}

/* ---- JSON output ----------------------------------------------------------- */
static void cli_json_string(FILE *f, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (c < 0x20) fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
            else fputc(c, f);
        }
    }
    fputc('"', f);
}

/* Pretty-prints v with two-space indentation. Depth is bounded by the parser. */
static void cli_json_pretty(FILE *f, const dynsess_value *v, int indent) {
    size_t n, i;
    switch (dynsess_value_type(v)) {
    case DYNSESS_JSON_NULL: fputs("null", f); break;
    case DYNSESS_JSON_BOOL: fputs(dynsess_value_bool(v) ? "true" : "false", f); break;
    case DYNSESS_JSON_INT: fprintf(f, "%lld", (long long)dynsess_value_int(v)); break;
    case DYNSESS_JSON_REAL: {
        dynsess_buf b;
        dynsess_buf_init(&b, 0);
        if (dynsess_json_write(v, &b, 0) == DYNSESS_OK) fputs(b.ptr, f);
        dynsess_buf_free(&b);
        break;
    }
    case DYNSESS_JSON_STRING: {
        dynsess_str s = dynsess_value_str(v);
        cli_json_string(f, s.ptr, s.len);
        break;
    }
    case DYNSESS_JSON_ARRAY:
        n = dynsess_value_len(v);
        if (!n) { fputs("[]", f); break; }
        fputs("[\n", f);
        for (i = 0; i < n; i++) {
            fprintf(f, "%*s", indent + 2, "");
            cli_json_pretty(f, dynsess_array_at(v, i), indent + 2);
            fputs(i + 1 < n ? ",\n" : "\n", f);
        }
        fprintf(f, "%*s]", indent, "");
        break;
    case DYNSESS_JSON_OBJECT:
        n = dynsess_value_len(v);
        if (!n) { fputs("{}", f); break; }
        fputs("{\n", f);
        for (i = 0; i < n; i++) {
            dynsess_str k = dynsess_object_key_at(v, i);
            fprintf(f, "%*s", indent + 2, "");
            cli_json_string(f, k.ptr, k.len);
            fputs(": ", f);
            cli_json_pretty(f, dynsess_object_value_at(v, i), indent + 2);
            fputs(i + 1 < n ? ",\n" : "\n", f);
        }
        fprintf(f, "%*s}", indent, "");
        break;
    }
}

/* Parses text and pretty-prints it (or prints it raw if it is not JSON). */
static int cli_print_json_text(FILE *f, const char *text, size_t len) {
    dynsess_doc *doc = 0;
    dynsess_value *root = 0;
    dynsess_error err;
    if (dynsess_doc_new(0, &doc, &err) != DYNSESS_OK) return -1;
    if (dynsess_json_parse(doc, text, len, 0, &root, &err) != DYNSESS_OK) {
        fwrite(text, 1, len, f);
        fputc('\n', f);
        dynsess_doc_free(doc);
        return -1;
    }
    cli_json_pretty(f, root, 0);
    fputc('\n', f);
    dynsess_doc_free(doc);
    return 0;
}

/* ---- option parsing ----------------------------------------------------------
   Options may come before or after positional arguments; "--name value" and
   "--name=value" are both accepted; "--" ends the options. */
typedef struct cli_opt {
    const char *name;    /* "--table" */
    int takes_value;
    const char *value;   /* parsed value, or "1" for flags; 0 when absent */
} cli_opt;

typedef struct cli_args {
    const char *pos[8];
    int npos;
    int help;
} cli_args;

static int cli_parse(int argc, char **argv, cli_opt *opts, int nopts, cli_args *a, const char *cmd) {
    int only_pos = 0;
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (!only_pos && strcmp(s, "--") == 0) { only_pos = 1; continue; }
        if (!only_pos && (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0)) { a->help = 1; continue; }
        if (!only_pos && s[0] == '-' && s[1] == '-') {
            const char *eq = strchr(s, '=');
            size_t nl = eq ? (size_t)(eq - s) : strlen(s);
            int k;
            for (k = 0; k < nopts; k++)
                if (strlen(opts[k].name) == nl && strncmp(opts[k].name, s, nl) == 0) break;
            if (k == nopts) return cli_usage_error(cmd, "unknown option '%.*s'", (int)nl, s);
            if (!opts[k].takes_value) {
                if (eq) return cli_usage_error(cmd, "option '%s' takes no value", opts[k].name);
                opts[k].value = "1";
            } else if (eq) {
                opts[k].value = eq + 1;
            } else {
                if (i + 1 >= argc) return cli_usage_error(cmd, "option '%s' needs a value", opts[k].name);
                opts[k].value = argv[++i];
            }
            continue;
        }
        if (!only_pos && s[0] == '-' && s[1] && strcmp(s, "-") != 0)
            return cli_usage_error(cmd, "unknown option '%s'", s);
        if (a->npos == (int)(sizeof a->pos / sizeof a->pos[0]))
            return cli_usage_error(cmd, "too many arguments");
        a->pos[a->npos++] = s;
    }
    return 0;
}

static const char *cli_optv(const cli_opt *opts, int nopts, const char *name) {
    for (int k = 0; k < nopts; k++)
        if (strcmp(opts[k].name, name) == 0) return opts[k].value;
    return 0;
}
/* ---- help texts ------------------------------------------------------------- */
static const char cli_help_main[] =
    "usage: dynsess COMMAND [ARGS] [OPTIONS]\n"
    "\n"
    "DynamoDB table setup and session debugging for dynsess.h.\n"
    "\n"
    "commands:\n"
    "  table create NAME         create a session table (hash key session_id, on-demand), enable TTL\n"
    "  table describe NAME       show a table's status, key schema, billing mode and item count\n"
    "  table ttl NAME            show a table's time-to-live setting\n"
    "  session get ID            print a session item (its JSON, creation time and expiry)\n"
    "  session put ID [JSON]     write a session item (JSON from the argument or stdin)\n"
    "  session delete ID         delete a session item\n"
    "  keygen                    print a new random secret for SESSION_SECRET\n"
    "  seal [JSON]               seal a session JSON into a cookie value (for tests)\n"
    "  unseal [COOKIE]           open a sealed cookie value: print its JSON and expiry\n"
    "  sign                      print a request's SigV4 canonical request, string to sign, Authorization\n"
    "  help [COMMAND]            this text, or a command's help\n"
    "\n"
    "Every command takes --help. AWS settings come from the standard variables:\n"
    "  AWS_REGION (or AWS_DEFAULT_REGION), AWS_ENDPOINT_URL_DYNAMODB (or AWS_ENDPOINT_URL),\n"
    "  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.\n"
    "Sessions: SESSION_TABLE_NAME (default " CLI_DEFAULT_TABLE "), SESSION_SECRET.\n"
    "Exit status: 0 ok, 1 the operation failed, 2 usage error.\n";

static const char cli_help_aws_opts[] =
    "  --region REGION           default: $AWS_REGION, then $AWS_DEFAULT_REGION\n"
    "  --endpoint URL            default: $AWS_ENDPOINT_URL_DYNAMODB, then $AWS_ENDPOINT_URL,\n"
    "                            then https://dynamodb.REGION.amazonaws.com\n";

static const char cli_help_table[] =
    "usage: dynsess table create NAME [--no-ttl] [--wait SECONDS] [--region R] [--endpoint URL]\n"
    "       dynsess table describe NAME [--json]\n"
    "       dynsess table ttl NAME [--json]\n"
    "\n"
    "create   CreateTable with hash key session_id (S) and on-demand billing\n"
    "         (PAY_PER_REQUEST), waits until the table is ACTIVE (default up to 60 s),\n"
    "         then enables time to live on attribute 'ttl' (UpdateTimeToLive).\n"
    "         An existing table is not an error: its TTL is still checked and enabled.\n"
    "         Servers without UpdateTimeToLive (dynalite, some emulators) get a warning.\n"
    "describe DescribeTable, summarised (--json prints DynamoDB's reply).\n"
    "ttl      DescribeTimeToLive (--json prints DynamoDB's reply).\n"
    "\n"
    "options:\n"
    "  --no-ttl                  create: do not enable TTL\n"
    "  --wait SECONDS            create: how long to wait for ACTIVE (default 60)\n"
    "  --json                    print the raw DynamoDB reply\n";

static const char cli_help_session[] =
    "usage: dynsess session get ID [--table T] [--raw]\n"
    "       dynsess session put ID [JSON|-] [--table T] [--ttl SECONDS]\n"
    "       dynsess session delete ID [--table T]\n"
    "\n"
    "Reads and writes items in the seed's schema: session_id (S, hash key),\n"
    "user_data (S, the session's JSON text), created_at (N) and ttl (N), epoch seconds.\n"
    "get      GetItem (consistent read); prints the session JSON, created_at and ttl,\n"
    "         and says so when ttl has passed (DynamoDB deletes expired items late).\n"
    "         --raw prints DynamoDB's reply instead.\n"
    "put      PutItem of a JSON object (argument, or stdin with '-' or no argument);\n"
    "         overwrites an existing item; ttl = now + --ttl (default 3600).\n"
    "delete   DeleteItem (deleting an absent item is not an error).\n"
    "Exit status 1 with 'not found' when get finds no item (or an expired one).\n"
    "An ID that starts with '-' goes after '--': dynsess session get -- -abc\n"
    "\n"
    "options:\n"
    "  --table NAME              default: $SESSION_TABLE_NAME, then " CLI_DEFAULT_TABLE "\n"
    "  --ttl SECONDS             put: lifetime from now (default 3600)\n";

static const char cli_help_keygen[] =
    "usage: dynsess keygen [--bytes N]\n"
    "\n"
    "Prints a new secret: N random bytes from the OS CSPRNG (default 32), base64url\n"
    "without padding (43 characters for 32 bytes). Use it as SESSION_SECRET; the\n"
    "sealed-cookie store needs at least 32 bytes of secret.\n"
    "  export SESSION_SECRET=$(dynsess keygen)\n";

static const char cli_help_seal[] =
    "usage: dynsess seal [JSON|-] [--secret S] [--name NAME] [--max-age SECONDS]\n"
    "\n"
    "Seals a session (a JSON object, from the argument or stdin) into a cookie value\n"
    "exactly as the sealed-cookie store does, and prints it. For tests and debugging.\n"
    "\n"
    "options:\n"
    "  --secret S                default: $SESSION_SECRET (first of a comma-separated list)\n"
    "  --name NAME               cookie name bound into the seal (default: session)\n"
    "  --max-age SECONDS         expiry from now (default 3600)\n";

static const char cli_help_unseal[] =
    "usage: dynsess unseal [COOKIE|-] [--secret S] [--name NAME] [--json]\n"
    "\n"
    "Opens a sealed cookie value (argument, or stdin) and prints the session JSON,\n"
    "when it was created and when it expires. A 'name=value' pair or a whole Cookie\n"
    "header is accepted: the value of cookie NAME is used.\n"
    "Fails (exit 1) with the reason when the value is tampered with, sealed with\n"
    "another secret or name, or expired.\n"
    "\n"
    "options:\n"
    "  --secret S                default: $SESSION_SECRET; several, comma-separated, are\n"
    "                            all tried (key rotation)\n"
    "  --name NAME               cookie name (default: session)\n"
    "  --json                    print only the session JSON (compact)\n";

static const char cli_help_sign[] =
    "usage: dynsess sign [--method M] [--url URL] [--target OP] [--header 'Name: value']... [--body TEXT|@FILE]\n"
    "                    [--service S] [--region R] [--date YYYYMMDDTHHMMSSZ] [--unsigned-payload]\n"
    "\n"
    "Signs a request with AWS Signature Version 4 and prints each step: the canonical\n"
    "request, the string to sign, the signature and the headers to send. Compare them\n"
    "with what AWS says in a SignatureDoesNotMatch error.\n"
    "\n"
    "options:\n"
    "  --method M                default POST\n"
    "  --url URL                 default: the DynamoDB endpoint for the region\n"
    "  --header 'Name: value'    a header to sign (repeatable; host is added from the URL)\n"
    "  --target OP               a DynamoDB operation (GetItem, PutItem...): adds the headers\n"
    "                            Content-Type: application/x-amz-json-1.0 and\n"
    "                            X-Amz-Target: DynamoDB_20120810.OP\n"
    "  --body TEXT|@FILE         the payload (default empty)\n"
    "  --service S               default dynamodb\n"
    "  --region R                default $AWS_REGION / $AWS_DEFAULT_REGION\n"
    "  --date YYYYMMDDTHHMMSSZ   signing time (default now)\n"
    "  --unsigned-payload        sign UNSIGNED-PAYLOAD instead of the body hash\n"
    "credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.\n";
/* ---- keygen ------------------------------------------------------------------ */
static int cmd_keygen(int argc, char **argv) {
    cli_opt o[] = {{"--bytes", 1, 0}};
    cli_args a;
    int rc = cli_parse(argc, argv, o, 1, &a, "keygen ");
    if (rc) return rc;
    if (a.help) { fputs(cli_help_keygen, stdout); return 0; }
    if (a.npos) return cli_usage_error("keygen ", "keygen takes no arguments");
    long n = 32;
    if (o[0].value) {
        char *end;
        n = strtol(o[0].value, &end, 10);
        if (*end || n < 32 || n > 64)
            return cli_usage_error("keygen ", "--bytes must be 32..64 (the cookie store needs at least 32)");
    }
    uint8_t key[64];
    char out[DYNSESS_BASE64URL_LEN(64) + 1];
    dynsess_error err;
    if (dynsess_random_bytes(key, (size_t)n, &err) != DYNSESS_OK) return cli_fail("%s", err.msg);
    dynsess_base64url_encode(key, (size_t)n, out, sizeof out);
    dynsess_wipe(key, sizeof key);
    printf("%s\n", out);
    dynsess_wipe(out, sizeof out);
    return 0;
}

/* ---- sign ---------------------------------------------------------------------- */
#define CLI_MAX_SIGN_HEADERS 32

static int cmd_sign(int argc, char **argv) {
    /* --header is repeatable: collect those first, hand the rest to cli_parse */
    const char *hdr_args[CLI_MAX_SIGN_HEADERS];
    int nhdr = 0;
    char *rest[64];
    int nrest = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--header") == 0 || strcmp(argv[i], "-H") == 0) {
            if (i + 1 >= argc) return cli_usage_error("sign ", "option '--header' needs a value");
            if (nhdr == CLI_MAX_SIGN_HEADERS) return cli_usage_error("sign ", "too many --header options");
            hdr_args[nhdr++] = argv[++i];
        } else if (strncmp(argv[i], "--header=", 9) == 0) {
            if (nhdr == CLI_MAX_SIGN_HEADERS) return cli_usage_error("sign ", "too many --header options");
            hdr_args[nhdr++] = argv[i] + 9;
        } else {
            if (nrest == 64) return cli_usage_error("sign ", "too many arguments");
            rest[nrest++] = argv[i];
        }
    }
    cli_opt o[] = {{"--method", 1, 0}, {"--url", 1, 0}, {"--body", 1, 0}, {"--service", 1, 0},
                   {"--region", 1, 0}, {"--date", 1, 0}, {"--unsigned-payload", 0, 0},
                   {"--target", 1, 0}};
    const int no = (int)(sizeof o / sizeof o[0]);
    cli_args a;
    int rc = cli_parse(nrest, rest, o, no, &a, "sign ");
    if (rc) return rc;
    if (a.help) { fputs(cli_help_sign, stdout); return 0; }
    if (a.npos) return cli_usage_error("sign ", "unexpected argument '%s'", a.pos[0]);

    const char *method = cli_optv(o, no, "--method");
    const char *url = cli_optv(o, no, "--url");
    const char *body_opt = cli_optv(o, no, "--body");
    const char *service = cli_optv(o, no, "--service");
    const char *region_opt = cli_optv(o, no, "--region");
    const char *date = cli_optv(o, no, "--date");
    const char *target = cli_optv(o, no, "--target");
    if (!method) method = "POST";
    if (!service) service = "dynamodb";

    static dynsess_sigv4_signer signer; /* ~20 KiB: keep it off the stack */
    static dynsess_aws_creds creds;
    dynsess_endpoint ep;
    dynsess_error err;
    char region[DYNSESS_AWS_REGION_MAX + 1];
    char *body = 0;
    size_t body_len = 0;
    int ret = 1;
    dynsess_sigv4_signer_init(&signer);
    memset(&creds, 0, sizeof creds);

    if (dynsess_aws_region(region_opt, 0, region, sizeof region, &err) != DYNSESS_OK) {
        ret = cli_fail(strstr(err.msg, "AWS_REGION") ? "%s" : "%s (set AWS_REGION or pass --region)", err.msg);
        goto done;
    }
    /* --url: scheme://authority is parsed by the library; the path and query
       are signed exactly as given (as they go on the wire) */
    char base[DYNSESS_URL_HOST_MAX + 32];
    const char *url_path = 0, *url_query = 0;
    if (url) {
        const char *auth = strstr(url, "://");
        const char *slash = auth ? strpbrk(auth + 3, "/?") : 0;
        size_t bl = slash ? (size_t)(slash - url) : strlen(url);
        if (bl >= sizeof base) { ret = cli_usage_error("sign ", "--url: host part too long"); goto done; }
        memcpy(base, url, bl);
        base[bl] = 0;
        if (slash) {
            url_path = slash;
            url_query = strchr(slash, '?');
        }
        if (dynsess_url_parse(base, &ep, &err) != DYNSESS_OK) { ret = cli_fail("--url: %s", err.msg); goto done; }
    } else if (dynsess_aws_endpoint(service, region, 0, &ep, &err) != DYNSESS_OK) {
        ret = cli_fail("%s", err.msg);
        goto done;
    }
    if (body_opt && body_opt[0] == '@') {
        body = cli_read_all(body_opt + 1, 16u << 20, &body_len);
        if (!body) { ret = cli_fail("cannot read %s: %s", body_opt + 1, strerror(errno)); goto done; }
    } else if (body_opt) {
        body_len = strlen(body_opt);
        body = malloc(body_len + 1);
        if (!body) { ret = cli_fail("out of memory"); goto done; }
        memcpy(body, body_opt, body_len + 1);
    }
    if (dynsess_aws_creds_from_env(&creds, 0, &err) != DYNSESS_OK) {
        ret = cli_fail("%s (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)", err.msg);
        goto done;
    }

    dynsess_http_header h[CLI_MAX_SIGN_HEADERS + 3];
    size_t nh = 0;
    h[nh].name = dynsess_cstr("Host");
    h[nh].value = dynsess_cstr(ep.host_header);
    nh++;
    char target_buf[128];
    if (target) {
        snprintf(target_buf, sizeof target_buf, "DynamoDB_20120810.%s", target);
        h[nh].name = dynsess_cstr("Content-Type");
        h[nh].value = dynsess_cstr("application/x-amz-json-1.0");
        nh++;
        h[nh].name = dynsess_cstr("X-Amz-Target");
        h[nh].value = dynsess_cstr(target_buf);
        nh++;
    }
    for (int i = 0; i < nhdr; i++) {
        const char *c = strchr(hdr_args[i], ':');
        if (!c || c == hdr_args[i]) { ret = cli_usage_error("sign ", "--header wants 'Name: value', got '%s'", hdr_args[i]); goto done; }
        size_t nl = (size_t)(c - hdr_args[i]);
        if (nl == 4 && strncasecmp(hdr_args[i], "host", 4) == 0) {
            /* replaces the Host taken from the URL */
            h[0].value = dynsess_cstr(c + 1);
            while (h[0].value.len && (*h[0].value.ptr == ' ')) { h[0].value.ptr++; h[0].value.len--; }
            continue;
        }
        h[nh].name.ptr = hdr_args[i];
        h[nh].name.len = nl;
        h[nh].value = dynsess_cstr(c + 1);
        nh++;
    }

    int64_t t = dynsess_time_now();
    if (date && dynsess_sigv4_parse_time(dynsess_cstr(date), &t, &err) != DYNSESS_OK) {
        ret = cli_usage_error("sign ", "--date: %s", err.msg);
        goto done;
    }
    dynsess_str path = dynsess_cstr("/"), query = dynsess_cstr("");
    if (url_path && url_path[0] == '/') {
        path.ptr = url_path;
        path.len = url_query ? (size_t)(url_query - url_path) : strlen(url_path);
    }
    if (url_query) query = dynsess_cstr(url_query + 1);

    dynsess_sigv4_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.query = query;
    req.headers = h;
    req.header_count = nh;
    req.payload.ptr = body ? body : "";
    req.payload.len = body_len;
    req.payload_hash = cli_optv(o, no, "--unsigned-payload") ? DYNSESS_SIGV4_UNSIGNED_PAYLOAD : 0;
    req.region = region;
    req.service = service;
    req.time = t;

    dynsess_sigv4_result res;
    dynsess_aws_credentials view = dynsess_aws_creds_view(&creds);
    if (dynsess_sigv4_sign(&signer, &view, &req, &res, &err) != DYNSESS_OK) {
        ret = cli_fail("%s", err.msg);
        goto done;
    }
    printf("# canonical request\n%.*s\n\n", (int)res.canonical_request.len, res.canonical_request.ptr);
    printf("# string to sign\n%.*s\n\n", (int)res.string_to_sign.len, res.string_to_sign.ptr);
    printf("# payload hash\n%s\n\n", res.payload_hash);
    printf("# signature\n%s\n\n", res.signature);
    printf("# headers to send\n");
    for (size_t i = 0; i < nh; i++)
        printf("%.*s: %.*s\n", (int)h[i].name.len, h[i].name.ptr, (int)h[i].value.len, h[i].value.ptr);
    printf("X-Amz-Date: %s\n", res.amz_date);
    if (res.session_token.len)
        printf("X-Amz-Security-Token: %.*s\n", (int)res.session_token.len, res.session_token.ptr);
    printf("Authorization: %.*s\n", (int)res.authorization_len, res.authorization);
    ret = 0;
done:
    free(body);
    dynsess_sigv4_signer_wipe(&signer);
    dynsess_aws_creds_wipe(&creds);
    return ret;
}
/* ---- seal / unseal ------------------------------------------------------------- */
/* Splits a comma-separated secret list (SESSION_SECRET style) into desc. The
   returned buffer backs the strings; free it after closing the store. */
static char *cli_secrets(const char *opt, dynsess_cookie_desc *d, const char *cmd, int *rc) {
    const char *src = opt ? opt : cli_env("SESSION_SECRET");
    *rc = 0;
    if (!src) {
        *rc = cli_usage_error(cmd, "no secret: pass --secret or set SESSION_SECRET (make one with 'dynsess keygen')");
        return 0;
    }
    size_t n = strlen(src);
    char *copy = malloc(n + 1);
    if (!copy) { *rc = cli_fail("out of memory"); return 0; }
    memcpy(copy, src, n + 1);
    int k = 0;
    char *p = copy;
    while (*p && k < DYNSESS_MAX_SECRETS) {
        char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len) { d->secrets[k].ptr = p; d->secrets[k].len = len; k++; }
        if (!e) break;
        p = e + 1;
    }
    return copy;
}

static int cmd_seal(int argc, char **argv) {
    cli_opt o[] = {{"--secret", 1, 0}, {"--name", 1, 0}, {"--max-age", 1, 0}};
    cli_args a;
    int rc = cli_parse(argc, argv, o, 3, &a, "seal ");
    if (rc) return rc;
    if (a.help) { fputs(cli_help_seal, stdout); return 0; }
    if (a.npos > 1) return cli_usage_error("seal ", "seal takes one JSON argument (or stdin)");
    long max_age = 3600;
    if (o[2].value) {
        char *end;
        max_age = strtol(o[2].value, &end, 10);
        if (*end || max_age <= 0) return cli_usage_error("seal ", "--max-age must be a positive number of seconds");
    }
    dynsess_cookie_desc d;
    memset(&d, 0, sizeof d);
    d.cookie_name = o[1].value;
    char *secrets = cli_secrets(o[0].value, &d, "seal ", &rc);
    if (!secrets) return rc;

    char *json = 0;
    size_t json_len = 0;
    if (a.npos == 1 && strcmp(a.pos[0], "-") != 0) {
        json_len = strlen(a.pos[0]);
        json = malloc(json_len + 1);
        if (json) memcpy(json, a.pos[0], json_len + 1);
    } else {
        json = cli_read_all("-", 1u << 20, &json_len);
        if (json) json_len = cli_rtrim(json, json_len);
    }
    dynsess_store *st = 0;
    dynsess_buf token;
    dynsess_error err;
    dynsess_buf_init(&token, 0);
    int ret = 1;
    if (!json) { ret = cli_fail("cannot read the session JSON"); goto done; }
    {   /* the store seals whatever it is given: check it is a JSON object first */
        dynsess_doc *doc = 0;
        dynsess_value *root = 0;
        if (dynsess_doc_new(0, &doc, &err) != DYNSESS_OK ||
            dynsess_json_parse(doc, json, json_len, 0, &root, &err) != DYNSESS_OK) {
            dynsess_doc_free(doc);
            ret = cli_fail("session JSON: %s", err.msg);
            goto done;
        }
        int is_obj = dynsess_value_type(root) == DYNSESS_JSON_OBJECT;
        dynsess_doc_free(doc);
        if (!is_obj) { ret = cli_fail("session JSON must be an object"); goto done; }
    }
    if (dynsess_store_cookie_new(&d, &st, &err) != DYNSESS_OK) { ret = cli_fail("%s", err.msg); goto done; }
    int64_t now = dynsess_time_now();
    dynsess_write w;
    memset(&w, 0, sizeof w);
    w.data.ptr = json;
    w.data.len = json_len;
    w.created_at = now;
    w.expires_at = now + max_age;
    w.is_new = 1;
    if (st->vt->save(st, &w, now, &token, &err) != DYNSESS_OK) { ret = cli_fail("%s", err.msg); goto done; }
    printf("%.*s\n", (int)token.len, token.ptr ? token.ptr : "");
    ret = 0;
done:
    dynsess_store_close(st);
    dynsess_buf_free(&token);
    free(json);
    if (secrets) { dynsess_wipe(secrets, strlen(secrets)); free(secrets); }
    return ret;
}

/* Finds cookie `name` in "a=b; name=value" (or returns the input as the value). */
static void cli_cookie_value(char *in, const char *name, const char **v, size_t *vlen) {
    size_t nl = strlen(name);
    char *p = in;
    if (strncasecmp(p, "Cookie:", 7) == 0) p += 7;
    if (!strchr(p, '=') || !strchr(p, ';')) {
        /* a bare value, or one "name=value" */
        while (*p == ' ') p++;
        char *eq = strchr(p, '=');
        if (eq && (size_t)(eq - p) == nl && strncmp(p, name, nl) == 0) p = eq + 1;
        *v = p;
        *vlen = strlen(p);
        return;
    }
    while (*p) {
        while (*p == ' ' || *p == ';') p++;
        char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            *v = p + nl + 1;
            *vlen = len - nl - 1;
            if (*vlen >= 2 && (*v)[0] == '"' && (*v)[*vlen - 1] == '"') { (*v)++; *vlen -= 2; }
            return;
        }
        if (!e) break;
        p = e + 1;
    }
    *v = in + strlen(in);
    *vlen = 0;
}

static int cmd_unseal(int argc, char **argv) {
    cli_opt o[] = {{"--secret", 1, 0}, {"--name", 1, 0}, {"--json", 0, 0}};
    cli_args a;
    int rc = cli_parse(argc, argv, o, 3, &a, "unseal ");
    if (rc) return rc;
    if (a.help) { fputs(cli_help_unseal, stdout); return 0; }
    if (a.npos > 1) return cli_usage_error("unseal ", "unseal takes one cookie argument (or stdin)");
    dynsess_cookie_desc d;
    memset(&d, 0, sizeof d);
    d.cookie_name = o[1].value;
    char *secrets = cli_secrets(o[0].value, &d, "unseal ", &rc);
    if (!secrets) return rc;
    char *in = 0;
    size_t in_len = 0;
    if (a.npos == 1 && strcmp(a.pos[0], "-") != 0) {
        in_len = strlen(a.pos[0]);
        in = malloc(in_len + 1);
        if (in) memcpy(in, a.pos[0], in_len + 1);
    } else {
        in = cli_read_all("-", 64u << 10, &in_len);
        if (in) cli_rtrim(in, in_len);
    }
    dynsess_store *st = 0;
    dynsess_record rec;
    dynsess_error err;
    memset(&rec, 0, sizeof rec);
    dynsess_buf_init(&rec.data, 0);
    int ret = 1;
    if (!in) { ret = cli_fail("cannot read the cookie value"); goto done; }
    const char *v;
    size_t vlen;
    cli_cookie_value(in, o[1].value ? o[1].value : "session", &v, &vlen);
    if (!vlen) { ret = cli_fail("no cookie value given"); goto done; }
    if (dynsess_store_cookie_new(&d, &st, &err) != DYNSESS_OK) { ret = cli_fail("%s", err.msg); goto done; }
    int64_t now = dynsess_time_now();
    dynsess_str tok;
    tok.ptr = v;
    tok.len = vlen;
    dynsess_status s = st->vt->load(st, tok, now, &rec, &err);
    int expired = 0;
    dynsess_error err2;
    if (s == DYNSESS_E_NOTFOUND) {
        /* authentic but expired? open it as of its own lifetime to show it */
        dynsess_buf_reset(&rec.data);
        if (st->vt->load(st, tok, 1, &rec, &err2) == DYNSESS_OK && rec.expires_at <= now) expired = 1;
        else { ret = cli_fail("cannot open the cookie: %s", err.msg); goto done; }
    } else if (s != DYNSESS_OK) {
        ret = cli_fail("%s", err.msg);
        goto done;
    }
    if (o[2].value) {
        printf("%.*s\n", (int)rec.data.len, rec.data.ptr ? rec.data.ptr : "");
    } else {
        char t1[32], t2[32], d1[32], d2[32];
        cli_fmt_time(rec.created_at, t1, sizeof t1);
        cli_fmt_time(rec.expires_at, t2, sizeof t2);
        cli_fmt_delta(now - rec.created_at, d1, sizeof d1);
        cli_fmt_delta(rec.expires_at - now, d2, sizeof d2);
        printf("created_at: %lld (%s, %s ago)\n", (long long)rec.created_at, t1, d1);
        printf("expires_at: %lld (%s, %s)\n", (long long)rec.expires_at, t2,
               expired ? "EXPIRED" : d2);
        if (rec.stale) printf("note: sealed with an older secret; the server re-seals it on the next save\n");
        printf("session:\n");
        cli_print_json_text(stdout, rec.data.ptr ? rec.data.ptr : "", rec.data.len);
    }
    if (expired) {
        char d3[32];
        cli_fmt_delta(now - rec.expires_at, d3, sizeof d3);
        ret = cli_fail("the cookie expired %s ago: the server treats it as absent", d3);
    } else {
        ret = 0;
    }
done:
    dynsess_store_close(st);
    dynsess_buf_free(&rec.data);
    free(in);
    if (secrets) { dynsess_wipe(secrets, strlen(secrets)); free(secrets); }
    return ret;
}

/* ---- DynamoDB commands ------------------------------------------------------------ */
typedef struct cli_ddb {
    dynsess_ddb *c;
    dynsess_ddb_error aerr;
    dynsess_error err;
    dynsess_buf reply;
    char endpoint[600];
} cli_ddb;

static void cli_ddb_log(void *user, dynsess_log_level level, const char *msg) {
    (void)user;
    if (level >= DYNSESS_LOG_WARN || getenv("DYNSESS_DEBUG")) fprintf(stderr, "%s: note: %s\n", cli_prog, msg);
}

static int cli_ddb_open(cli_ddb *d, const char *region, const char *endpoint) {
    dynsess_ddb_desc desc;
    memset(d, 0, sizeof *d);
    memset(&desc, 0, sizeof desc);
    desc.region = region;
    desc.endpoint = endpoint;
    desc.timeout_ms = 10000;
    desc.logger.func = cli_ddb_log;
    dynsess_buf_init(&d->reply, 0);
    if (!endpoint) endpoint = cli_env("AWS_ENDPOINT_URL_DYNAMODB");
    if (!endpoint) endpoint = cli_env("AWS_ENDPOINT_URL");
    snprintf(d->endpoint, sizeof d->endpoint, "%s", endpoint ? endpoint : "the AWS endpoint of the region");
    if (dynsess_ddb_new(&desc, &d->c, &d->err) != DYNSESS_OK) {
        if (d->err.code == DYNSESS_E_CREDENTIALS)
            return cli_fail("%s\n  (plus AWS_SESSION_TOKEN for temporary credentials; a local server accepts "
                            "any non-empty values)", d->err.msg);
        if (!region && !cli_env("AWS_REGION") && !cli_env("AWS_DEFAULT_REGION") && !strstr(d->err.msg, "AWS_REGION"))
            return cli_fail("%s\n  set AWS_REGION (e.g. us-east-1) or pass --region", d->err.msg);
        return cli_fail("%s", d->err.msg);
    }
    return 0;
}

static void cli_ddb_close(cli_ddb *d) {
    dynsess_ddb_free(d->c);
    dynsess_buf_free(&d->reply);
}

/* One call; the reply text is in d->reply. Returns the status. */
static dynsess_status cli_ddb_call(cli_ddb *d, const char *op, const char *body) {
    dynsess_buf_reset(&d->reply);
    memset(&d->aerr, 0, sizeof d->aerr);
    dynsess_error_clear(&d->err);
    return dynsess_ddb_call(d->c, op, dynsess_cstr(body), &d->reply, &d->aerr, &d->err);
}

/* Prints why a call failed: DynamoDB's own error type and message, plus a hint. */
static int cli_ddb_fail(cli_ddb *d, const char *op, const char *table) {
    if (d->aerr.type[0]) {
        fprintf(stderr, "%s: error: %s failed: %s%s%s", cli_prog, op, d->aerr.type,
                d->aerr.message[0] ? ": " : "", d->aerr.message);
        if (d->aerr.http_status) fprintf(stderr, " (HTTP %d)", d->aerr.http_status);
        fputc('\n', stderr);
        if (strcmp(d->aerr.type, "ResourceNotFoundException") == 0 && table)
            fprintf(stderr, "  table '%s' does not exist in this region/endpoint (create it: dynsess table create %s)\n",
                    table, table);
        else if (d->err.code == DYNSESS_E_AUTH)
            fprintf(stderr, "  check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN and the IAM "
                            "policy (dynsess needs dynamodb:%s on the table)\n", op);
        return 1;
    }
    fprintf(stderr, "%s: error: %s\n", cli_prog, d->err.msg[0] ? d->err.msg : dynsess_strerror(d->err.code));
    if (d->err.code == DYNSESS_E_CONNECT || d->err.code == DYNSESS_E_TIMEOUT)
        fprintf(stderr, "  is DynamoDB reachable at %s?\n", d->endpoint);
    return 1;
}

/* Table names: 3..255 of [A-Za-z0-9_.-] (DynamoDB's rule). Checked here so
   the name can go into JSON text without escaping. */
static int cli_table_name_ok(const char *t) {
    size_t n = strlen(t);
    if (n < 3 || n > 255) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* Parses d->reply; *root borrowed from *doc (caller frees doc). */
static int cli_reply_json(cli_ddb *d, dynsess_doc **doc, const dynsess_value **root) {
    dynsess_value *r = 0;
    *doc = 0;
    if (dynsess_doc_new(0, doc, &d->err) != DYNSESS_OK ||
        dynsess_json_parse(*doc, d->reply.ptr ? d->reply.ptr : "", d->reply.len, 0, &r, &d->err) != DYNSESS_OK) {
        dynsess_doc_free(*doc);
        *doc = 0;
        return cli_fail("unexpected reply from DynamoDB: %s", d->err.msg);
    }
    *root = r;
    return 0;
}

/* obj.a.b... (NUL-separated path) */
static const dynsess_value *cli_get(const dynsess_value *v, const char *k1, const char *k2) {
    v = dynsess_object_get(v, k1, strlen(k1));
    if (v && k2) v = dynsess_object_get(v, k2, strlen(k2));
    return v;
}

static void cli_print_strfield(const char *label, const dynsess_value *v) {
    dynsess_str s = dynsess_value_str(v);
    if (dynsess_value_type(v) == DYNSESS_JSON_STRING) printf("%-14s %.*s\n", label, (int)s.len, s.ptr);
}

static int cli_table_describe(cli_ddb *d, const char *table, int json, const char **status_out) {
    char body[400];
    snprintf(body, sizeof body, "{\"TableName\":\"%s\"}", table);
    if (cli_ddb_call(d, "DescribeTable", body) != DYNSESS_OK) return cli_ddb_fail(d, "DescribeTable", table);
    if (json) { cli_print_json_text(stdout, d->reply.ptr, d->reply.len); return 0; }
    dynsess_doc *doc;
    const dynsess_value *root;
    if (cli_reply_json(d, &doc, &root)) return 1;
    const dynsess_value *t = cli_get(root, "Table", 0);
    cli_print_strfield("table:", cli_get(t, "TableName", 0));
    cli_print_strfield("status:", cli_get(t, "TableStatus", 0));
    const dynsess_value *ks = cli_get(t, "KeySchema", 0), *ad = cli_get(t, "AttributeDefinitions", 0);
    for (size_t i = 0; i < dynsess_value_len(ks); i++) {
        dynsess_str an = dynsess_value_str(cli_get(dynsess_array_at(ks, i), "AttributeName", 0));
        dynsess_str kt = dynsess_value_str(cli_get(dynsess_array_at(ks, i), "KeyType", 0));
        dynsess_str ty = {"?", 1};
        for (size_t j = 0; j < dynsess_value_len(ad); j++) {
            dynsess_str n2 = dynsess_value_str(cli_get(dynsess_array_at(ad, j), "AttributeName", 0));
            if (n2.len == an.len && memcmp(n2.ptr, an.ptr, an.len) == 0)
                ty = dynsess_value_str(cli_get(dynsess_array_at(ad, j), "AttributeType", 0));
        }
        printf("%-14s %.*s (%.*s, %.*s)\n", "key:", (int)an.len, an.ptr, (int)ty.len, ty.ptr, (int)kt.len, kt.ptr);
    }
    const dynsess_value *bm = cli_get(t, "BillingModeSummary", "BillingMode");
    if (bm) cli_print_strfield("billing:", bm);
    else {
        const dynsess_value *pt = cli_get(t, "ProvisionedThroughput", 0);
        printf("%-14s PROVISIONED (read %lld, write %lld)\n", "billing:",
               (long long)dynsess_value_int(cli_get(pt, "ReadCapacityUnits", 0)),
               (long long)dynsess_value_int(cli_get(pt, "WriteCapacityUnits", 0)));
    }
    printf("%-14s %lld (approximate, updated every ~6 h by AWS)\n", "items:",
           (long long)dynsess_value_int(cli_get(t, "ItemCount", 0)));
    printf("%-14s %lld bytes\n", "size:", (long long)dynsess_value_int(cli_get(t, "TableSizeBytes", 0)));
    cli_print_strfield("arn:", cli_get(t, "TableArn", 0));
    const dynsess_value *cd = cli_get(t, "CreationDateTime", 0);
    if (cd) {
        char ts[32];
        cli_fmt_time((int64_t)dynsess_value_real(cd), ts, sizeof ts);
        printf("%-14s %s\n", "created:", ts);
    }
    if (status_out) {
        dynsess_str st = dynsess_value_str(cli_get(t, "TableStatus", 0));
        *status_out = st.len == 6 && memcmp(st.ptr, "ACTIVE", 6) == 0 ? "ACTIVE" : "OTHER";
    }
    dynsess_doc_free(doc);
    return 0;
}

/* Polls DescribeTable until ACTIVE; returns 0 when active. */
static int cli_wait_active(cli_ddb *d, const char *table, long wait_s) {
    char body[400];
    snprintf(body, sizeof body, "{\"TableName\":\"%s\"}", table);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int attempt = 0;; attempt++) {
        if (cli_ddb_call(d, "DescribeTable", body) != DYNSESS_OK) return cli_ddb_fail(d, "DescribeTable", table);
        dynsess_doc *doc;
        const dynsess_value *root;
        if (cli_reply_json(d, &doc, &root)) return 1;
        dynsess_str st = dynsess_value_str(cli_get(root, "Table", "TableStatus"));
        int active = st.len == 6 && memcmp(st.ptr, "ACTIVE", 6) == 0;
        if (!active && attempt == 0) printf("waiting for table %s to become ACTIVE (status %.*s) ...\n", table, (int)st.len, st.ptr);
        dynsess_doc_free(doc);
        if (active) return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= wait_s)
            return cli_fail("table %s is still not ACTIVE after %ld s (try 'dynsess table describe %s' later)",
                            table, wait_s, table);
        struct timespec ts = {0, attempt < 5 ? 200000000L : 0};
        if (attempt >= 5) ts.tv_sec = 2;
        nanosleep(&ts, 0);
    }
}

/* DescribeTimeToLive. *enabled: 1 ENABLED/ENABLING on attr, -1 on another attribute, 0 not. */
static int cli_ttl_status(cli_ddb *d, const char *table, int print, int json, int *enabled) {
    char body[400];
    snprintf(body, sizeof body, "{\"TableName\":\"%s\"}", table);
    if (cli_ddb_call(d, "DescribeTimeToLive", body) != DYNSESS_OK) return cli_ddb_fail(d, "DescribeTimeToLive", table);
    if (json) { cli_print_json_text(stdout, d->reply.ptr, d->reply.len); return 0; }
    dynsess_doc *doc;
    const dynsess_value *root;
    if (cli_reply_json(d, &doc, &root)) return 1;
    dynsess_str st = dynsess_value_str(cli_get(root, "TimeToLiveDescription", "TimeToLiveStatus"));
    dynsess_str at = dynsess_value_str(cli_get(root, "TimeToLiveDescription", "AttributeName"));
    int on = (st.len == 7 && memcmp(st.ptr, "ENABLED", 7) == 0) || (st.len == 8 && memcmp(st.ptr, "ENABLING", 8) == 0);
    if (enabled) *enabled = on ? (at.len == 3 && memcmp(at.ptr, "ttl", 3) == 0 ? 1 : -1) : 0;
    if (print) {
        printf("table:         %s\n", table);
        printf("ttl status:    %.*s\n", (int)st.len, st.len ? st.ptr : "?");
        if (at.len) printf("ttl attribute: %.*s\n", (int)at.len, at.ptr);
        if (!on) printf("note: without TTL expired sessions stay in the table (dynsess treats them as absent); "
                        "enable it with 'dynsess table create %s' (idempotent)\n", table);
        else if (!(at.len == 3 && memcmp(at.ptr, "ttl", 3) == 0))
            printf("warning: TTL is on attribute '%.*s', but dynsess writes expiry to 'ttl'\n", (int)at.len, at.ptr);
    }
    dynsess_doc_free(doc);
    return 0;
}

static int cmd_table(int argc, char **argv) {
    cli_opt o[] = {{"--region", 1, 0}, {"--endpoint", 1, 0}, {"--no-ttl", 0, 0}, {"--wait", 1, 0}, {"--json", 0, 0}};
    const int no = 5;
    cli_args a;
    int rc = cli_parse(argc, argv, o, no, &a, "table ");
    if (rc) return rc;
    if (a.help || a.npos == 0) {
        fputs(cli_help_table, a.help ? stdout : stderr);
        fputs("\naws options:\n", a.help ? stdout : stderr);
        fputs(cli_help_aws_opts, a.help ? stdout : stderr);
        return a.help ? 0 : 2;
    }
    const char *sub = a.pos[0];
    if (strcmp(sub, "create") != 0 && strcmp(sub, "describe") != 0 && strcmp(sub, "ttl") != 0)
        return cli_usage_error("table ", "unknown table command '%s' (create, describe, ttl)", sub);
    if (a.npos != 2) return cli_usage_error("table ", "table %s needs exactly one table NAME", sub);
    const char *table = a.pos[1];
    if (!cli_table_name_ok(table))
        return cli_usage_error("table ", "bad table name '%s': 3 to 255 of A-Z a-z 0-9 _ . -", table);
    long wait_s = 60;
    if (cli_optv(o, no, "--wait")) {
        char *end;
        wait_s = strtol(cli_optv(o, no, "--wait"), &end, 10);
        if (*end || wait_s < 0 || wait_s > 3600) return cli_usage_error("table ", "--wait: 0..3600 seconds");
    }
    int json = cli_optv(o, no, "--json") != 0;
    cli_ddb d;
    if (cli_ddb_open(&d, cli_optv(o, no, "--region"), cli_optv(o, no, "--endpoint"))) { cli_ddb_close(&d); return 1; }
    int ret = 1;
    if (strcmp(sub, "describe") == 0) {
        ret = cli_table_describe(&d, table, json, 0);
    } else if (strcmp(sub, "ttl") == 0) {
        ret = cli_ttl_status(&d, table, 1, json, 0);
    } else {
        char body[1024];
        snprintf(body, sizeof body,
                 "{\"TableName\":\"%s\","
                 "\"AttributeDefinitions\":[{\"AttributeName\":\"session_id\",\"AttributeType\":\"S\"}],"
                 "\"KeySchema\":[{\"AttributeName\":\"session_id\",\"KeyType\":\"HASH\"}],"
                 "\"BillingMode\":\"PAY_PER_REQUEST\"}", table);
        if (cli_ddb_call(&d, "CreateTable", body) == DYNSESS_OK) {
            printf("created table %s (hash key session_id S, on-demand billing)\n", table);
        } else if (strcmp(d.aerr.type, "ResourceInUseException") == 0) {
            printf("table %s already exists: keeping it\n", table);
        } else {
            ret = cli_ddb_fail(&d, "CreateTable", table);
            goto done;
        }
        if (cli_wait_active(&d, table, wait_s)) goto done;
        printf("table %s is ACTIVE\n", table);
        if (cli_optv(o, no, "--no-ttl")) { ret = 0; goto done; }
        int enabled = 0;
        if (cli_ttl_status(&d, table, 0, 0, &enabled) != 0) {
            fprintf(stderr, "%s: warning: could not read the TTL setting; trying to enable it anyway\n", cli_prog);
            enabled = 0;
        }
        if (enabled == 1) { printf("time to live already enabled on attribute ttl\n"); ret = 0; goto done; }
        if (enabled == -1) {
            fprintf(stderr, "%s: warning: TTL is enabled on another attribute; DynamoDB allows one TTL attribute: "
                            "dynsess writes 'ttl', so expired sessions will not be deleted automatically\n", cli_prog);
            ret = 0;
            goto done;
        }
        snprintf(body, sizeof body,
                 "{\"TableName\":\"%s\",\"TimeToLiveSpecification\":{\"Enabled\":true,\"AttributeName\":\"ttl\"}}",
                 table);
        if (cli_ddb_call(&d, "UpdateTimeToLive", body) == DYNSESS_OK) {
            printf("time to live enabled on attribute ttl (DynamoDB deletes expired items within ~48 h; "
                   "dynsess ignores them at once)\n");
            ret = 0;
        } else if (strcmp(d.aerr.type, "UnknownOperationException") == 0) {
            fprintf(stderr, "%s: warning: this DynamoDB server does not implement UpdateTimeToLive (%s): TTL not enabled.\n"
                            "  Local servers such as dynalite never delete expired items; dynsess treats them as absent,\n"
                            "  so sessions still expire. On AWS, TTL deletes them.\n", cli_prog, d.aerr.type);
            ret = 0;
        } else {
            fprintf(stderr, "%s: warning: the table is ready, but enabling TTL failed:\n", cli_prog);
            cli_ddb_fail(&d, "UpdateTimeToLive", table);
            ret = 1;
        }
    }
done:
    cli_ddb_close(&d);
    return ret;
}

static void cli_json_escape_buf(dynsess_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    dynsess_buf_appendz(b, "\"", 0);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[7];
        if (c == '"' || c == '\\') { e[0] = '\\'; e[1] = (char)c; dynsess_buf_append(b, e, 2, 0); }
        else if (c < 0x20) {
            e[0] = '\\'; e[1] = 'u'; e[2] = '0'; e[3] = '0'; e[4] = hex[c >> 4]; e[5] = hex[c & 15];
            dynsess_buf_append(b, e, 6, 0);
        } else dynsess_buf_append(b, s + i, 1, 0);
    }
    dynsess_buf_appendz(b, "\"", 0);
}

static int cmd_session(int argc, char **argv) {
    cli_opt o[] = {{"--region", 1, 0}, {"--endpoint", 1, 0}, {"--table", 1, 0}, {"--ttl", 1, 0}, {"--raw", 0, 0}};
    const int no = 5;
    cli_args a;
    int rc = cli_parse(argc, argv, o, no, &a, "session ");
    if (rc) return rc;
    if (a.help || a.npos == 0) {
        fputs(cli_help_session, a.help ? stdout : stderr);
        fputs("\naws options:\n", a.help ? stdout : stderr);
        fputs(cli_help_aws_opts, a.help ? stdout : stderr);
        return a.help ? 0 : 2;
    }
    const char *sub = a.pos[0];
    int get = strcmp(sub, "get") == 0, put = strcmp(sub, "put") == 0, del = strcmp(sub, "delete") == 0;
    if (!get && !put && !del) return cli_usage_error("session ", "unknown session command '%s' (get, put, delete)", sub);
    if (a.npos < 2) return cli_usage_error("session ", "session %s needs a session ID", sub);
    if (a.npos > (put ? 3 : 2)) return cli_usage_error("session ", "too many arguments");
    const char *id = a.pos[1];
    if (!*id || strlen(id) > 1024) return cli_usage_error("session ", "session ID must be 1..1024 bytes");
    const char *table = cli_optv(o, no, "--table");
    if (!table) table = cli_env("SESSION_TABLE_NAME");
    if (!table) table = CLI_DEFAULT_TABLE;
    if (!cli_table_name_ok(table)) return cli_usage_error("session ", "bad table name '%s'", table);
    long ttl_s = 3600;
    if (cli_optv(o, no, "--ttl")) {
        char *end;
        ttl_s = strtol(cli_optv(o, no, "--ttl"), &end, 10);
        if (*end || ttl_s <= 0) return cli_usage_error("session ", "--ttl must be a positive number of seconds");
    }
    char *json = 0;
    size_t json_len = 0;
    if (put) {
        if (a.npos == 3 && strcmp(a.pos[2], "-") != 0) {
            json_len = strlen(a.pos[2]);
            json = malloc(json_len + 1);
            if (json) memcpy(json, a.pos[2], json_len + 1);
        } else {
            json = cli_read_all("-", DYNSESS_DDB_MAX_ITEM_SIZE, &json_len);
            if (json) json_len = cli_rtrim(json, json_len);
        }
        if (!json) return cli_fail("cannot read the session JSON: %s", strerror(errno));
        dynsess_doc *doc = 0;
        dynsess_value *root = 0;
        dynsess_error err;
        int bad = dynsess_doc_new(0, &doc, &err) != DYNSESS_OK ||
                  dynsess_json_parse(doc, json, json_len, 0, &root, &err) != DYNSESS_OK;
        int obj = !bad && dynsess_value_type(root) == DYNSESS_JSON_OBJECT;
        dynsess_doc_free(doc);
        if (bad) { free(json); return cli_fail("session JSON: %s", err.msg); }
        if (!obj) { free(json); return cli_fail("session JSON must be an object"); }
    }
    cli_ddb d;
    if (cli_ddb_open(&d, cli_optv(o, no, "--region"), cli_optv(o, no, "--endpoint"))) {
        cli_ddb_close(&d);
        free(json);
        return 1;
    }
    dynsess_buf body;
    dynsess_buf_init(&body, 0);
    int ret = 1;
    dynsess_buf_appendz(&body, "{\"TableName\":\"", 0);
    dynsess_buf_appendz(&body, table, 0);
    int64_t now = dynsess_time_now();
    if (put) {
        char nums[160];
        dynsess_buf_appendz(&body, "\",\"Item\":{\"session_id\":{\"S\":", 0);
        cli_json_escape_buf(&body, id, strlen(id));
        dynsess_buf_appendz(&body, "},\"user_data\":{\"S\":", 0);
        cli_json_escape_buf(&body, json, json_len);
        snprintf(nums, sizeof nums, "},\"created_at\":{\"N\":\"%lld\"},\"ttl\":{\"N\":\"%lld\"}}}",
                 (long long)now, (long long)(now + ttl_s));
        if (dynsess_buf_appendz(&body, nums, &d.err) != DYNSESS_OK) { ret = cli_fail("%s", d.err.msg); goto done; }
        if (cli_ddb_call(&d, "PutItem", body.ptr) != DYNSESS_OK) { ret = cli_ddb_fail(&d, "PutItem", table); goto done; }
        char ts[32];
        cli_fmt_time(now + ttl_s, ts, sizeof ts);
        printf("put session %s in %s (ttl %s)\n", id, table, ts);
        ret = 0;
    } else {
        dynsess_buf_appendz(&body, "\",\"Key\":{\"session_id\":{\"S\":", 0);
        cli_json_escape_buf(&body, id, strlen(id));
        if (dynsess_buf_appendz(&body, get ? "}},\"ConsistentRead\":true}" : "}}}", &d.err) != DYNSESS_OK) {
            ret = cli_fail("%s", d.err.msg);
            goto done;
        }
        const char *op = get ? "GetItem" : "DeleteItem";
        if (del) {
            /* ReturnValues tells us whether there was an item */
            body.len -= 1;
            dynsess_buf_appendz(&body, ",\"ReturnValues\":\"ALL_OLD\"}", 0);
        }
        if (cli_ddb_call(&d, op, body.ptr) != DYNSESS_OK) { ret = cli_ddb_fail(&d, op, table); goto done; }
        dynsess_doc *doc;
        const dynsess_value *root;
        if (cli_reply_json(&d, &doc, &root)) goto done;
        if (del) {
            printf(cli_get(root, "Attributes", 0) ? "deleted session %s from %s\n"
                                                  : "no session %s in %s (nothing to delete)\n", id, table);
            dynsess_doc_free(doc);
            ret = 0;
            goto done;
        }
        const dynsess_value *item = cli_get(root, "Item", 0);
        if (cli_optv(o, no, "--raw")) {
            cli_print_json_text(stdout, d.reply.ptr, d.reply.len);
            ret = item ? 0 : 1;
            dynsess_doc_free(doc);
            goto done;
        }
        if (!item) {
            dynsess_doc_free(doc);
            ret = cli_fail("not found: no session %s in table %s", id, table);
            goto done;
        }
        const dynsess_value *ud = cli_get(item, "user_data", "S");
        dynsess_str cs = dynsess_value_str(cli_get(item, "created_at", "N"));
        dynsess_str ts = dynsess_value_str(cli_get(item, "ttl", "N"));
        dynsess_str vs = dynsess_value_str(cli_get(item, "version", "N"));
        long long created = cs.len ? strtoll(cs.ptr, 0, 10) : 0, ttl = ts.len ? strtoll(ts.ptr, 0, 10) : 0;
        char t1[32], t2[32], d1[32];
        printf("session_id:  %s\n", id);
        if (cs.len) { cli_fmt_time(created, t1, sizeof t1); printf("created_at:  %lld (%s)\n", created, t1); }
        if (ts.len) {
            cli_fmt_time(ttl, t2, sizeof t2);
            cli_fmt_delta(ttl - now, d1, sizeof d1);
            printf("ttl:         %lld (%s, %s)\n", ttl, t2, ttl <= now ? "EXPIRED" : d1);
        }
        if (vs.len) printf("version:     %.*s\n", (int)vs.len, vs.ptr);
        printf("user_data:\n");
        if (ud) {
            dynsess_str u = dynsess_value_str(ud);
            cli_print_json_text(stdout, u.ptr, u.len);
        } else {
            printf("(no user_data string attribute)\n");
        }
        ret = 0;
        if (ts.len && ttl <= now) ret = cli_fail("not found: session %s expired (DynamoDB deletes expired items late; dynsess treats it as absent)", id);
        dynsess_doc_free(doc);
    }
done:
    dynsess_buf_free(&body);
    cli_ddb_close(&d);
    free(json);
    return ret;
}

/* ---- main ------------------------------------------------------------------------ */
int main(int argc, char **argv) {
    if (argc < 2) { fputs(cli_help_main, stderr); return 2; }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) { fputs(cli_help_main, stdout); return 0; }
    if (strcmp(cmd, "--version") == 0) { printf("dynsess %s\n", DYNSESS_VERSION_STRING); return 0; }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) { fputs(cli_help_main, stdout); return 0; }
        cmd = argv[2];
        char *args[1] = {(char *)"--help"};
        if (strcmp(cmd, "table") == 0) return cmd_table(1, args);
        if (strcmp(cmd, "session") == 0) return cmd_session(1, args);
        if (strcmp(cmd, "keygen") == 0) return cmd_keygen(1, args);
        if (strcmp(cmd, "seal") == 0) return cmd_seal(1, args);
        if (strcmp(cmd, "unseal") == 0) return cmd_unseal(1, args);
        if (strcmp(cmd, "sign") == 0) return cmd_sign(1, args);
        return cli_usage_error("", "no such command '%s'", cmd);
    }
    argc -= 2;
    argv += 2;
    if (strcmp(cmd, "table") == 0) return cmd_table(argc, argv);
    if (strcmp(cmd, "session") == 0) return cmd_session(argc, argv);
    if (strcmp(cmd, "keygen") == 0) return cmd_keygen(argc, argv);
    if (strcmp(cmd, "seal") == 0) return cmd_seal(argc, argv);
    if (strcmp(cmd, "unseal") == 0) return cmd_unseal(argc, argv);
    if (strcmp(cmd, "sign") == 0) return cmd_sign(argc, argv);
    return cli_usage_error("", "unknown command '%s'", cmd);
}
