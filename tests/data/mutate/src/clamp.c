/* clamp.c - the library of mutate.py's self-test (tests/mutate_selftest.sh). */

/* v held within [lo, hi]. */
int clamp(int v, int lo, int hi)
{
    if (v < lo)
        return lo;
    if (v > hi)
        return hi;
    return v;
}

/* 0 for none, 1 for one, 2 for more. */
int how_many(int n)
{
    switch (n) {
    case 0:
        return 0;
    case 1:
        return 1;
    }
    return 2;
}
