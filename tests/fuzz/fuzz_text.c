/*
 * fuzz_text.c - the money, time and duration parsers. The first byte
 * picks the currency exponent (0 to 8) and the parser; each result must
 * print back and parse to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fundtrace/money.h"
#include "fundtrace/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int exponent = data[0] % 9;
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    int64_t v, back;
    ft_money_error why;
    char text[64];
    switch ((data[0] / 9) % 4) {
    case 0:
        if (ft_money_parse(s, len, exponent, &v, &why)) {
            size_t n = ft_money_format(v, exponent, text, sizeof text);
            if (!ft_money_parse(text, n, exponent, &back, &why) || back != v)
                abort();
        }
        break;
    case 1:
        if (ft_money_parse_float_text(s, len, exponent, &v, NULL, &why)) {
            size_t n = ft_money_format(v, exponent, text, sizeof text);
            if (!ft_money_parse(text, n, exponent, &back, &why) || back != v)
                abort();
        }
        break;
    case 2: {
        ft_time_error tw;
        if (ft_time_parse(s, len, &v, &tw) && ft_time_format(v, text, sizeof text)) {
            if (!ft_time_parse(text, strlen(text), &back, &tw) || back != v)
                abort();
        }
        break;
    }
    default:
        ft_duration_parse(s, len, &v);
        break;
    }
    return 0;
}
