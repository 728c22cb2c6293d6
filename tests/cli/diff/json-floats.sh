# JSON floats stay floats (issue 14, wrong answer 8): 0.0, 2.0 and 1.0, not the integers 0, 2
# and 1 a JSON reader would make of cJSON's default output. dense/bias goes [NaN,1,2,3] ->
# [0.5,1,2.5,3]: its largest finite change is at index 2, from 2.0 to 2.5.
$CKPT diff --json nanpair/a nanpair/b | grep -E '"(atol|rtol|share|max_abs_diff|a_at_max|b_at_max)"' || echo "status $?"
