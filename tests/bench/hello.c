/* hello: the smallest useful exec target for the fork+exec benchmark.
 * Exits 0 without touching stdio, so exec cost dominates. */
int main(void)
{
    return 0;
}
