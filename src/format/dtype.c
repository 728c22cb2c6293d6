/* The dtype table. */
#include "format/dtype.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct dtype_info table[] = {
	{ DT_FLOAT, "float32", "DT_FLOAT", 4, DK_FLOAT },
	{ DT_DOUBLE, "float64", "DT_DOUBLE", 8, DK_FLOAT },
	{ DT_INT32, "int32", "DT_INT32", 4, DK_INT },
	{ DT_UINT8, "uint8", "DT_UINT8", 1, DK_UINT },
	{ DT_INT16, "int16", "DT_INT16", 2, DK_INT },
	{ DT_INT8, "int8", "DT_INT8", 1, DK_INT },
	{ DT_STRING, "string", "DT_STRING", 0, DK_STRING },
	{ DT_COMPLEX64, "complex64", "DT_COMPLEX64", 8, DK_COMPLEX },
	{ DT_INT64, "int64", "DT_INT64", 8, DK_INT },
	{ DT_BOOL, "bool", "DT_BOOL", 1, DK_BOOL },
	{ DT_QINT8, "qint8", "DT_QINT8", 1, DK_QUANT },
	{ DT_QUINT8, "quint8", "DT_QUINT8", 1, DK_QUANT },
	{ DT_QINT32, "qint32", "DT_QINT32", 4, DK_QUANT },
	{ DT_BFLOAT16, "bfloat16", "DT_BFLOAT16", 2, DK_FLOAT },
	{ DT_QINT16, "qint16", "DT_QINT16", 2, DK_QUANT },
	{ DT_QUINT16, "quint16", "DT_QUINT16", 2, DK_QUANT },
	{ DT_UINT16, "uint16", "DT_UINT16", 2, DK_UINT },
	{ DT_COMPLEX128, "complex128", "DT_COMPLEX128", 16, DK_COMPLEX },
	{ DT_HALF, "float16", "DT_HALF", 2, DK_FLOAT },
	{ DT_RESOURCE, "resource", "DT_RESOURCE", 0, DK_OPAQUE },
	{ DT_VARIANT, "variant", "DT_VARIANT", 0, DK_OPAQUE },
	{ DT_UINT32, "uint32", "DT_UINT32", 4, DK_UINT },
	{ DT_UINT64, "uint64", "DT_UINT64", 8, DK_UINT },
	{ DT_FLOAT8_E5M2, "float8_e5m2", "DT_FLOAT8_E5M2", 1, DK_FLOAT },
	{ DT_FLOAT8_E4M3FN, "float8_e4m3fn", "DT_FLOAT8_E4M3FN", 1, DK_FLOAT },
	{ DT_FLOAT8_E4M3FNUZ, "float8_e4m3fnuz", "DT_FLOAT8_E4M3FNUZ", 1, DK_FLOAT },
	{ DT_FLOAT8_E4M3B11FNUZ, "float8_e4m3b11fnuz", "DT_FLOAT8_E4M3B11FNUZ", 1, DK_FLOAT },
	{ DT_FLOAT8_E5M2FNUZ, "float8_e5m2fnuz", "DT_FLOAT8_E5M2FNUZ", 1, DK_FLOAT },
	{ DT_INT4, "int4", "DT_INT4", 1, DK_INT },
	{ DT_UINT4, "uint4", "DT_UINT4", 1, DK_UINT },
	{ DT_INT2, "int2", "DT_INT2", 1, DK_INT },
	{ DT_UINT2, "uint2", "DT_UINT2", 1, DK_UINT },
};

const struct dtype_info *dtype_info(int id)
{
	if (id < DT_FLOAT || id > DT_UINT2)
		return NULL;
	return &table[id - 1];  /* the table is dense and in value order */
}

int dtype_is_numeric(int id)
{
	const struct dtype_info *d = dtype_info(id);
	return d && d->size && d->kind != DK_STRING && d->kind != DK_OPAQUE;
}

const char *dtype_name(int id)
{
	static char unknown[32];
	const struct dtype_info *d = dtype_info(id);

	if (d)
		return d->name;
	snprintf(unknown, sizeof(unknown), "dtype(%d)", id);
	return unknown;
}

const char *dtype_tf_name(int id)
{
	static char unknown[32];
	const struct dtype_info *d = dtype_info(id);

	if (d)
		return d->tf;
	snprintf(unknown, sizeof(unknown), "DT_INVALID(%d)", id);
	return unknown;
}

int dtype_from_name(const char *name)
{
	static const struct { const char *alias; int id; } aliases[] = {
		{ "float", DT_FLOAT }, { "double", DT_DOUBLE }, { "half", DT_HALF },
		{ "f32", DT_FLOAT }, { "f64", DT_DOUBLE }, { "f16", DT_HALF }, { "bf16", DT_BFLOAT16 },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcasecmp(name, table[i].name) || !strcasecmp(name, table[i].tf))
			return table[i].id;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcasecmp(name, aliases[i].alias))
			return aliases[i].id;
	return -1;
}
