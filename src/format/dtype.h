/* TensorFlow element types: numpy-style names, TF names and element sizes (doc/FORMAT.md §5.5). */
#ifndef CKPT_DTYPE_H
#define CKPT_DTYPE_H

enum dtype_kind {
	DK_FLOAT,    /* float16/32/64, bfloat16, float8 variants */
	DK_INT,      /* signed integers, incl. int4/int2 stored one per byte */
	DK_UINT,     /* unsigned integers */
	DK_QUANT,    /* quantized integers (shown as integers) */
	DK_BOOL,
	DK_COMPLEX,
	DK_STRING,
	DK_OPAQUE,   /* resource, variant: listed, never decoded */
};

enum {
	DT_FLOAT = 1, DT_DOUBLE = 2, DT_INT32 = 3, DT_UINT8 = 4, DT_INT16 = 5, DT_INT8 = 6,
	DT_STRING = 7, DT_COMPLEX64 = 8, DT_INT64 = 9, DT_BOOL = 10, DT_QINT8 = 11,
	DT_QUINT8 = 12, DT_QINT32 = 13, DT_BFLOAT16 = 14, DT_QINT16 = 15, DT_QUINT16 = 16,
	DT_UINT16 = 17, DT_COMPLEX128 = 18, DT_HALF = 19, DT_RESOURCE = 20, DT_VARIANT = 21,
	DT_UINT32 = 22, DT_UINT64 = 23, DT_FLOAT8_E5M2 = 24, DT_FLOAT8_E4M3FN = 25,
	DT_FLOAT8_E4M3FNUZ = 26, DT_FLOAT8_E4M3B11FNUZ = 27, DT_FLOAT8_E5M2FNUZ = 28,
	DT_INT4 = 29, DT_UINT4 = 30, DT_INT2 = 31, DT_UINT2 = 32,
};

struct dtype_info {
	int id;
	const char *name;   /* as numpy (and ml_dtypes) spell it: "float32", "bfloat16" */
	const char *tf;     /* "DT_FLOAT" */
	int size;           /* bytes per element; 0 = variable-length or not stored */
	enum dtype_kind kind;
};

/* NULL for values TensorFlow does not define (or *_REF types, never stored). */
const struct dtype_info *dtype_info(int id);
/* 1 for numbers (incl. bools and complex): fixed-size elements that decode to values; 0 for
 * strings, resources, variants and unknown values. */
int dtype_is_numeric(int id);

/* Numpy-style name, or "dtype(N)" in a static buffer for unknown values. */
const char *dtype_name(int id);
const char *dtype_tf_name(int id);

/* Accepts numpy names, TF names (DT_FLOAT) and common aliases (half, float, double); -1 if none. */
int dtype_from_name(const char *name);

#endif
