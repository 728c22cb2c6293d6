# Every node of the generated graph: the inputs, the first layer, and the whole saver.
$CKPT graph --nodes graph/run/model.ckpt-1000.meta >nodes
grep -E '^(NAME|x|labels|dense/(kernel|MatMul|BiasAdd|Relu)(/Assign|/read)?|Softmax|save/[^ ]*) ' nodes
wc -l <nodes
