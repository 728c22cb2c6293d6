# numpy prints these float32 values as [-1.15264151e-02  1.00000024e-01  2.49999994e-05]: the
# shorter ones get their own further digits, not zeros (numpy 1.24, print(np.array(...)))
$CKPT show showedge/ckpt digits
