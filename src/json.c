/*
 * json.c - the strict JSON and JSON Lines reader (see json.h).
 *
 * Bytes come from a buffer (the caller's, or 64 KiB chunks of a file)
 * through peek/take, which keep the line and column of the next byte.
 * A record is parsed recursively (depth bounded) into values allocated
 * from an arena that is emptied before the next record; the members of an
 * array or object gather on a stack and are copied into the arena, in one
 * piece, when the container closes.
 */
#include "fundtrace/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)

typedef struct block {
    struct block *next;
    size_t used, cap;
    max_align_t data[];
} block;

enum { MODE_UNKNOWN, MODE_LINES, MODE_ARRAY };

struct ft_json_reader {
    char *name;
    FILE *f; /* NULL: reading the caller's buffer */
    bool own;
    const char *buf;
    size_t len, pos;
    char *chunk;
    bool eof;
    int64_t line, col; /* of buf[pos] */
    int mode;
    bool done;
    int64_t records;
    int64_t elements;     /* of the array being read */
    bool wrapped;         /* {"provenance": {...}, "results": [...]} */
    bool keep_provenance; /* hand the provenance record out as a record */
    block *arena;
    ft_jv *stack;
    size_t nstack, cap_stack;
    char *text; /* a string or number being read */
    size_t ntext, cap_text;
};

/* --- bytes -------------------------------------------------------------------------------- */

static int peek(ft_json_reader *r)
{
    if (r->pos < r->len)
        return (unsigned char)r->buf[r->pos];
    if (!r->f || r->eof)
        return -1;
    r->len = fread(r->chunk, 1, CHUNK, r->f);
    r->pos = 0;
    if (r->len == 0) {
        r->eof = true;
        return -1;
    }
    return (unsigned char)r->buf[0];
}

static int take(ft_json_reader *r)
{
    int c = peek(r);
    if (c < 0)
        return c;
    r->pos++;
    if (c == '\n') {
        r->line++;
        r->col = 1;
    } else {
        r->col++;
    }
    return c;
}

/* --- memory ------------------------------------------------------------------------------- */

static void *arena_alloc(ft_json_reader *r, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    block *b = r->arena;
    if (!b || b->cap - b->used < size) {
        size_t cap = b ? b->cap * 2 : CHUNK;
        while (cap < size)
            cap *= 2;
        block *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        r->arena = b = nb;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    return p;
}

/* Empties the arena, keeping its newest (largest) block. */
static void arena_reset(ft_json_reader *r)
{
    if (!r->arena)
        return;
    block *b = r->arena->next;
    while (b) {
        block *next = b->next;
        free(b);
        b = next;
    }
    r->arena->next = NULL;
    r->arena->used = 0;
}

static bool text_put(ft_json_reader *r, const char *s, size_t n)
{
    if (r->cap_text - r->ntext < n + 1) {
        size_t cap = r->cap_text ? r->cap_text : 256;
        while (cap - r->ntext < n + 1)
            cap *= 2;
        char *t = realloc(r->text, cap);
        if (!t)
            return false;
        r->text = t;
        r->cap_text = cap;
    }
    memcpy(r->text + r->ntext, s, n);
    r->ntext += n;
    return true;
}

static bool push(ft_json_reader *r, const ft_jv *v)
{
    if (r->nstack == r->cap_stack) {
        size_t cap = r->cap_stack ? r->cap_stack * 2 : 64;
        ft_jv *s = realloc(r->stack, cap * sizeof *s);
        if (!s)
            return false;
        r->stack = s;
        r->cap_stack = cap;
    }
    r->stack[r->nstack++] = *v;
    return true;
}

/* --- errors ------------------------------------------------------------------------------- */

static ft_status fail(ft_json_reader *r, int64_t line, int64_t col, ft_error *err, const char *fmt,
                      ...) __attribute__((format(printf, 5, 6)));

static ft_status fail(ft_json_reader *r, int64_t line, int64_t col, ft_error *err, const char *fmt,
                      ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ft_error_at(err, FT_EINPUT, r->name, line, col, "%s", msg);
}

/* "unexpected 'x'" for the byte at the current place. */
static ft_status unexpected(ft_json_reader *r, const char *wanted, ft_error *err)
{
    int c = peek(r);
    if (c < 0)
        return fail(r, r->line, r->col, err, "the text ends where %s should be", wanted);
    if (c == '\n' && r->mode == MODE_LINES)
        return fail(r, r->line, r->col, err,
                    "the line ends where %s should be (a JSON Lines record is one line)", wanted);
    if (c > 0x20 && c < 0x7f)
        return fail(r, r->line, r->col, err, "'%c' where %s should be", c, wanted);
    return fail(r, r->line, r->col, err, "byte 0x%02x where %s should be", c, wanted);
}

/* --- values ------------------------------------------------------------------------------- */

static void ws(ft_json_reader *r)
{
    for (;;) {
        int c = peek(r);
        if (c == ' ' || c == '\t' || c == '\r' || (c == '\n' && r->mode != MODE_LINES))
            take(r);
        else
            return;
    }
}

static int hexval(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Four hex digits after "\u". */
static bool hex4(ft_json_reader *r, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(peek(r));
        if (h < 0)
            return false;
        take(r);
        *v = *v * 16 + (uint32_t)h;
    }
    return true;
}

static bool put_utf8(ft_json_reader *r, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 63));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12);
        b[1] = (char)(0x80 | (cp >> 6 & 63));
        b[2] = (char)(0x80 | (cp & 63));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18);
        b[1] = (char)(0x80 | (cp >> 12 & 63));
        b[2] = (char)(0x80 | (cp >> 6 & 63));
        b[3] = (char)(0x80 | (cp & 63));
        n = 4;
    }
    return text_put(r, b, n);
}

/* The bytes after a UTF-8 lead byte c: the sequence must be the shortest
 * form of a scalar value (no surrogates, at most U+10FFFF). */
static bool utf8_rest(ft_json_reader *r, int c)
{
    int more;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        more = 1, cp = (uint32_t)c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        more = 2, cp = (uint32_t)c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        more = 3, cp = (uint32_t)c & 0x07, min = 0x10000;
    } else {
        return false;
    }
    char b = (char)c;
    if (!text_put(r, &b, 1))
        return false;
    for (int i = 0; i < more; i++) {
        int k = peek(r);
        if (k < 0x80 || k > 0xBF)
            return false;
        take(r);
        cp = cp << 6 | ((uint32_t)k & 0x3F);
        b = (char)k;
        if (!text_put(r, &b, 1))
            return false;
    }
    return cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

static ft_status string(ft_json_reader *r, ft_jv *v, ft_error *err)
{
    v->type = FT_JSON_STRING;
    take(r); /* '"' */
    r->ntext = 0;
    for (;;) {
        /* A run of characters that stand for themselves, at once. */
        size_t end = r->pos;
        while (end < r->len) {
            unsigned char ch = (unsigned char)r->buf[end];
            if (ch < 0x20 || ch >= 0x80 || ch == '"' || ch == '\\')
                break;
            end++;
        }
        if (end > r->pos) {
            if (!text_put(r, r->buf + r->pos, end - r->pos))
                return ft_error_oom(err);
            r->col += (int64_t)(end - r->pos);
            r->pos = end;
            continue;
        }
        int64_t line = r->line, col = r->col;
        int c = take(r);
        if (c < 0 || (c == '\n' && r->mode == MODE_LINES))
            return fail(r, v->line, v->col, err, "a string is not closed");
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(r, line, col, err, "a control character (0x%02x) in a string", c);
        if (c >= 0x80) {
            if (!utf8_rest(r, c))
                return fail(r, line, col, err, "a string is not valid UTF-8");
            continue;
        }
        if (c != '\\') {
            char b = (char)c;
            if (!text_put(r, &b, 1))
                return ft_error_oom(err);
            continue;
        }
        int e = take(r);
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *k = e > 0 ? strchr(from, e) : NULL;
        if (k && *k) {
            if (!text_put(r, &to[k - from], 1))
                return ft_error_oom(err);
            continue;
        }
        if (e != 'u')
            return fail(r, line, col, err, "an unknown escape in a string");
        uint32_t cp, lo;
        if (!hex4(r, &cp))
            return fail(r, line, col, err, "\\u needs four hex digits");
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return fail(r, line, col, err, "a lone low surrogate \\u%04X", (unsigned)cp);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (peek(r) != '\\' || (take(r), peek(r)) != 'u')
                return fail(r, line, col, err, "a lone high surrogate \\u%04X", (unsigned)cp);
            take(r);
            if (!hex4(r, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                return fail(r, line, col, err, "a high surrogate \\u%04X without its low half",
                            (unsigned)cp);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        if (!put_utf8(r, cp))
            return ft_error_oom(err);
    }
    char *s = arena_alloc(r, r->ntext + 1);
    if (!s || r->ntext > UINT32_MAX)
        return ft_error_oom(err);
    memcpy(s, r->text, r->ntext);
    s[r->ntext] = '\0';
    v->s = s;
    v->n = (uint32_t)r->ntext;
    return FT_OK;
}

static bool digits(ft_json_reader *r)
{
    bool any = false;
    for (int c; (c = peek(r)) >= '0' && c <= '9'; any = true) {
        char b = (char)take(r);
        if (!text_put(r, &b, 1))
            return false;
    }
    return any;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, kept as text. */
static ft_status number(ft_json_reader *r, ft_jv *v, ft_error *err)
{
    v->type = FT_JSON_NUMBER;
    r->ntext = 0;
    char b;
    if (peek(r) == '-') {
        b = (char)take(r);
        text_put(r, &b, 1);
    }
    if (peek(r) == '0') {
        b = (char)take(r);
        text_put(r, &b, 1);
        if (peek(r) >= '0' && peek(r) <= '9')
            return fail(r, v->line, v->col, err, "a number with a leading zero");
    } else if (!digits(r)) {
        return fail(r, v->line, v->col, err, "a number without digits");
    }
    if (peek(r) == '.') {
        b = (char)take(r);
        text_put(r, &b, 1);
        if (!digits(r))
            return fail(r, v->line, v->col, err, "a number without digits after its '.'");
    }
    if (peek(r) == 'e' || peek(r) == 'E') {
        b = (char)take(r);
        text_put(r, &b, 1);
        if (peek(r) == '+' || peek(r) == '-') {
            b = (char)take(r);
            text_put(r, &b, 1);
        }
        if (!digits(r))
            return fail(r, v->line, v->col, err, "a number without digits in its exponent");
    }
    char *s = arena_alloc(r, r->ntext + 1);
    if (!s)
        return ft_error_oom(err);
    memcpy(s, r->text, r->ntext);
    s[r->ntext] = '\0';
    v->s = s;
    v->n = (uint32_t)r->ntext;
    return FT_OK;
}

static ft_status literal(ft_json_reader *r, ft_jv *v, ft_error *err)
{
    static const struct {
        const char *word;
        ft_json_type type;
    } words[] = {{"true", FT_JSON_TRUE}, {"false", FT_JSON_FALSE}, {"null", FT_JSON_NULL}};
    for (size_t i = 0; i < 3; i++) {
        if (peek(r) != words[i].word[0])
            continue;
        for (const char *w = words[i].word; *w; w++) {
            if (peek(r) != *w)
                return fail(r, v->line, v->col, err, "not true, false or null");
            take(r);
        }
        v->type = words[i].type;
        return FT_OK;
    }
    return unexpected(r, "a value", err);
}

static ft_status value(ft_json_reader *r, ft_jv *v, int depth, ft_error *err);

/* An array or an object, its opening bracket next; or, with `key`, an
 * object whose '{' and first member name were read already. */
static ft_status container(ft_json_reader *r, ft_jv *v, int depth, ft_error *err, const ft_jv *key)
{
    bool object = key ? true : take(r) == '{';
    char close = object ? '}' : ']';
    v->type = object ? FT_JSON_OBJECT : FT_JSON_ARRAY;
    size_t base = r->nstack;
    ft_status rc;
    ws(r);
    if (!key && peek(r) == close) {
        take(r);
    } else {
        for (bool first = true;; first = false) {
            ft_jv item = {0};
            ws(r);
            if (object && first && key) {
                item = *key;
            } else if (object) {
                item.line = r->line;
                item.col = r->col;
                if (peek(r) != '"')
                    return unexpected(r, "a member name", err);
                if ((rc = string(r, &item, err)) != FT_OK)
                    return rc;
            }
            if (object) {
                if (!push(r, &item))
                    return ft_error_oom(err);
                ws(r);
                if (peek(r) != ':')
                    return unexpected(r, "':'", err);
                take(r);
            }
            if ((rc = value(r, &item, depth + 1, err)) != FT_OK)
                return rc;
            if (!push(r, &item))
                return ft_error_oom(err);
            ws(r);
            int c = peek(r);
            if (c == close) {
                take(r);
                break;
            }
            if (c != ',')
                return unexpected(r, object ? "',' or '}'" : "',' or ']'", err);
            take(r);
        }
    }
    size_t n = r->nstack - base;
    if ((object ? n / 2 : n) > UINT32_MAX)
        return fail(r, v->line, v->col, err, "too many members");
    ft_jv *items = NULL;
    if (n) {
        items = arena_alloc(r, n * sizeof *items);
        if (!items)
            return ft_error_oom(err);
        memcpy(items, r->stack + base, n * sizeof *items);
    }
    r->nstack = base;
    v->items = items;
    v->n = (uint32_t)(object ? n / 2 : n);
    return FT_OK;
}

static ft_status value(ft_json_reader *r, ft_jv *v, int depth, ft_error *err)
{
    ws(r);
    memset(v, 0, sizeof *v);
    v->line = r->line;
    v->col = r->col;
    int c = peek(r);
    if (c == '{' || c == '[') {
        if (depth >= FT_JSON_MAX_DEPTH)
            return fail(r, v->line, v->col, err, "nested deeper than %d", FT_JSON_MAX_DEPTH);
        return container(r, v, depth, err, NULL);
    }
    if (c == '"')
        return string(r, v, err);
    if (c == '-' || (c >= '0' && c <= '9'))
        return number(r, v, err);
    return literal(r, v, err);
}

/* --- records ------------------------------------------------------------------------------ */

static ft_status reader_new(ft_json_reader **out, const char *name, ft_error *err)
{
    ft_json_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->name = strdup(name))) {
        free(r);
        return ft_error_oom(err);
    }
    r->line = r->col = 1;
    *out = r;
    return FT_OK;
}

ft_status ft_json_open(ft_json_reader **out, const char *path, ft_error *err)
{
    *out = NULL;
    ft_json_reader *r = NULL;
    ft_status rc = reader_new(&r, path, err);
    if (rc != FT_OK)
        return rc;
    if (!(r->chunk = malloc(CHUNK))) {
        ft_json_close(r);
        return ft_error_oom(err);
    }
    r->buf = r->chunk;
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
    } else if ((r->f = fopen(path, "rb"))) {
        r->own = true;
    } else {
        rc = ft_error_errno(err, FT_EIO, "open", path);
        ft_json_close(r);
        return rc;
    }
    *out = r;
    return FT_OK;
}

ft_status ft_json_open_buffer(ft_json_reader **out, const char *name, const char *data, size_t len,
                              ft_error *err)
{
    ft_status rc = reader_new(out, name, err);
    if (rc == FT_OK) {
        (*out)->buf = data;
        (*out)->len = len;
    }
    return rc;
}

void ft_json_close(ft_json_reader *r)
{
    if (!r)
        return;
    if (r->own)
        fclose(r->f);
    arena_reset(r);
    free(r->arena);
    free(r->stack);
    free(r->text);
    free(r->chunk);
    free(r->name);
    free(r);
}

/* After the closing ']' only white space may follow (and, in a wrapper
 * object, its closing '}'). */
static ft_status array_end(ft_json_reader *r, ft_error *err)
{
    ws(r);
    if (r->wrapped) {
        if (peek(r) != '}')
            return unexpected(r, "'}' after the results", err);
        take(r);
        ws(r);
    }
    if (peek(r) >= 0)
        return unexpected(
            r, r->wrapped ? "the end of the text after '}'" : "the end of the text after ']'", err);
    r->done = true;
    return FT_OK;
}

static ft_status read_error(ft_json_reader *r, ft_error *err)
{
    if (r->f && ferror(r->f))
        return ft_error_errno(err, FT_EIO, "read", r->name);
    return FT_OK;
}

/* The opening '[' of the records has been read. */
static ft_status array_start(ft_json_reader *r, ft_error *err, bool *empty)
{
    r->mode = MODE_ARRAY;
    ws(r);
    *empty = false;
    if (peek(r) == ']') {
        take(r);
        *empty = true;
        return array_end(r, err);
    }
    return FT_OK;
}

/* After a wrapper's provenance value: ',' "results" ':' '['. */
static ft_status wrapper_results(ft_json_reader *r, ft_error *err, bool *empty)
{
    ws(r);
    if (peek(r) != ',')
        return unexpected(r, "',' and the results after the provenance", err);
    take(r);
    ws(r);
    ft_jv k = {0};
    ft_status rc;
    if (peek(r) != '"')
        return unexpected(r, "a member name", err);
    if ((rc = string(r, &k, err)) != FT_OK)
        return rc;
    ws(r);
    if (peek(r) != ':')
        return unexpected(r, "':'", err);
    take(r);
    ws(r);
    if (peek(r) != '[')
        return unexpected(r, "'[' (the results)", err);
    take(r);
    return array_start(r, err, empty);
}

/* The first record of a file that starts with '{': a JSON Lines record,
 * or a wrapper object whose first member is "provenance" (or whose '{'
 * ends the first line, as a pretty-printed one does). *prov is set when
 * *v is the wrapper's provenance value. */
static ft_status first_object(ft_json_reader *r, ft_jv *v, bool *prov, ft_error *err)
{
    int64_t line = r->line, col = r->col;
    take(r); /* '{' */
    r->mode = MODE_LINES;
    ws(r);
    ft_jv key = {0};
    ft_status rc;
    bool wrapper = peek(r) == '\n';
    if (peek(r) == '}') { /* {} */
        take(r);
        memset(v, 0, sizeof *v);
        v->type = FT_JSON_OBJECT;
        v->line = line;
        v->col = col;
        return FT_OK;
    }
    if (!wrapper) {
        key.line = r->line;
        key.col = r->col;
        if (peek(r) != '"')
            return unexpected(r, "a member name", err);
        if ((rc = string(r, &key, err)) != FT_OK)
            return rc;
        wrapper = strcmp(key.s, "provenance") == 0;
    }
    if (!wrapper) { /* the rest of a JSON Lines record */
        memset(v, 0, sizeof *v);
        v->line = line;
        v->col = col;
        return container(r, v, 0, err, &key);
    }
    r->mode = MODE_ARRAY;
    r->wrapped = true;
    if (!key.s) {
        ws(r);
        if (peek(r) != '"')
            return unexpected(r, "a member name", err);
        if ((rc = string(r, &key, err)) != FT_OK)
            return rc;
        if (strcmp(key.s, "provenance") != 0)
            return fail(r, key.line, key.col, err,
                        "an object of records begins with \"provenance\"");
    }
    ws(r);
    if (peek(r) != ':')
        return unexpected(r, "':'", err);
    take(r);
    *prov = true;
    return value(r, v, 1, err);
}

static ft_status next_record(ft_json_reader *r, const ft_jv **out, bool *prov, ft_error *err)
{
    *out = NULL;
    *prov = false;
    arena_reset(r);
    r->nstack = 0;
    if (r->done)
        return FT_OK;
    ft_status rc;
    ft_jv *v = arena_alloc(r, sizeof *v);
    if (!v)
        return ft_error_oom(err);
    if (r->mode == MODE_UNKNOWN) {
        /* a UTF-8 byte order mark is white space here */
        if (peek(r) == 0xEF) {
            take(r);
            if (take(r) != 0xBB || take(r) != 0xBF)
                return fail(r, 1, 1, err, "not JSON (a broken byte order mark)");
            r->col = 1;
        }
        r->mode = MODE_ARRAY; /* newlines are white space while looking */
        ws(r);
        bool empty;
        if (peek(r) == '[') {
            take(r);
            if ((rc = array_start(r, err, &empty)) != FT_OK || empty)
                return rc;
        } else if (peek(r) == '{') {
            if ((rc = first_object(r, v, prov, err)) != FT_OK)
                return rc;
            if (*prov) {
                if ((rc = wrapper_results(r, err, &empty)) != FT_OK)
                    return rc;
                *out = v; /* the results' first element comes next */
                return read_error(r, err);
            }
            goto line_end;
        } else {
            r->mode = MODE_LINES;
        }
    }
    if (r->mode == MODE_ARRAY) {
        if (r->elements > 0) {
            ws(r);
            int c = peek(r);
            if (c == ']') {
                take(r);
                return array_end(r, err);
            }
            if (c != ',')
                return unexpected(r, "',' or ']'", err);
            take(r);
        }
        if ((rc = value(r, v, 1, err)) != FT_OK)
            return rc;
        r->elements++;
    } else {
        /* blank lines between records */
        for (int c; (c = peek(r)) == ' ' || c == '\t' || c == '\r' || c == '\n';)
            take(r);
        if (peek(r) < 0) {
            r->done = true;
            return read_error(r, err);
        }
        if ((rc = value(r, v, 0, err)) != FT_OK)
            return rc;
    line_end:
        ws(r);
        int c = peek(r);
        if (c == '\n')
            take(r);
        else if (c >= 0)
            return fail(r, r->line, r->col, err,
                        "more after the value (a JSON Lines record is one line)");
    }
    r->records++;
    if (r->records == 1 && r->mode == MODE_LINES && v->type == FT_JSON_OBJECT) {
        const ft_jv *kind = ft_jv_get(v, "kind");
        *prov = kind && kind->type == FT_JSON_STRING && strcmp(kind->s, "provenance") == 0;
        if (*prov)
            r->records--;
    }
    *out = v;
    return read_error(r, err);
}

ft_status ft_json_next(ft_json_reader *r, const ft_jv **out, ft_error *err)
{
    bool prov;
    ft_status rc = next_record(r, out, &prov, err);
    if (rc == FT_OK && prov && !r->keep_provenance)
        rc = next_record(r, out, &prov, err);
    return rc;
}

void ft_json_keep_provenance(ft_json_reader *r)
{
    r->keep_provenance = true;
}

bool ft_json_is_array(const ft_json_reader *r)
{
    return r->mode == MODE_ARRAY;
}

const char *ft_json_name(const ft_json_reader *r)
{
    return r->name;
}

const ft_jv *ft_jv_get(const ft_jv *v, const char *key)
{
    if (!v || v->type != FT_JSON_OBJECT)
        return NULL;
    size_t len = strlen(key);
    const ft_jv *found = NULL;
    for (uint32_t i = 0; i < v->n; i++) {
        const ft_jv *k = &v->items[2 * i];
        if (k->n == len && memcmp(k->s, key, len) == 0)
            found = &v->items[2 * i + 1];
    }
    return found;
}

ft_status ft_json_error_at(const ft_json_reader *r, const ft_jv *v, ft_error *err, const char *fmt,
                           ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ft_error_at(err, FT_EINPUT, r->name, v ? v->line : 0, v ? v->col : 0, "%s", msg);
}
