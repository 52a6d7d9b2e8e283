/* test_clamp.c - kills every mutant of clamp.c but the two equivalent ones. */
int clamp(int v, int lo, int hi);
int how_many(int n);

int main(void)
{
    return !(clamp(-5, 0, 9) == 0 && clamp(4, 0, 9) == 4 && clamp(12, 0, 9) == 9 &&
             how_many(0) == 0 && how_many(1) == 1 && how_many(7) == 2);
}
