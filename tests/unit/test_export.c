/* export: the engine without the CLI. A small checkpoint planned for .npz and for safetensors
 * (what each format cannot hold is skipped with a note, bfloat16 widened for NumPy), planned
 * through mapping rules (drops, renames, a transpose, a split; problems: a rule matching
 * nothing, a tensor no rule accounts for, two tensors given one name), and written: the
 * safetensors file read back holds the transposed and split values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "tensor/castconv.h"
#include "tensor/npz.h"
#include "tensor/safetensors.h"
#include "edit/export.h"
#include "tap.h"

static char dir[] = "/tmp/ckpt-test-export-XXXXXX";
static char prefix[300];

/* kernel [2,3] = 0..5, bias [3], its Adam slot, a step, a bfloat16 [2], a string [2]. */
static void make(void)
{
	struct bundle_writer *w;
	struct ck_err err;
	float kernel[6] = { 0, 1, 2, 3, 4, 5 }, bias[3] = { 7, 8, 9 }, slot[3] = { 0 };
	int64_t kd[2] = { 2, 3 }, bd[1] = { 3 }, hd[1] = { 2 }, step = 42;
	uint16_t bf[2] = { double_to_bfloat16(1.5, NULL), double_to_bfloat16(-2, NULL) };
	const uint8_t *strs[2] = { (const uint8_t *)"ab", (const uint8_t *)"c" };
	size_t lens[2] = { 2, 1 };

	if (bundle_writer_open(&w, prefix, 1, BW_FORCE | BW_NO_SYNC, &err) < 0)
		tap_bail(err.msg);
	bundle_writer_add(w, "dense/kernel", 12, DT_FLOAT, kd, 2, 0, kernel, sizeof(kernel));
	bundle_writer_add(w, "dense/bias", 10, DT_FLOAT, bd, 1, 0, bias, sizeof(bias));
	bundle_writer_add(w, "dense/bias/Adam", 15, DT_FLOAT, bd, 1, 0, slot, sizeof(slot));
	bundle_writer_add(w, "global_step", 11, DT_INT64, NULL, 0, 0, &step, 8);
	bundle_writer_add(w, "emb", 3, DT_BFLOAT16, hd, 1, 0, bf, sizeof(bf));
	bundle_writer_add_strings(w, "names", 5, hd, 1, 0, strs, lens, 2);
	if (bundle_writer_finish(w, &err) < 0)
		tap_bail(err.msg);
}

static int has(const struct buf *b, const char *s)
{
	return b->len && memmem(b->p, b->len, s, strlen(s)) != NULL;
}

static void test_plain(struct surg_input *in)
{
	struct exporter x = { 0 };
	struct namefilter all = { 0 };
	struct buf notes = BUF_INIT;
	struct ck_err err;

	is_int(export_plan(&x, in->b, &all, &err), 0, "npz: planned");
	is_int(x.n, 6, "npz: every tensor, strings too");
	is_int(x.nskipped, 0, "npz: none skipped");
	export_notes(&x, &notes);
	ok(has(&notes, "1 bfloat16 tensor written as float32"), "npz: the bfloat16 widening is noted");
	is_int(x.data.tensors, 6, "npz: the tensors counted");
	buf_release(&notes);
	exporter_release(&x);

	x.safetensors = 1;
	is_int(export_plan(&x, in->b, &all, &err), 0, "safetensors: planned");
	is_int(x.n, 5, "safetensors: the string tensor left out");
	is_int(x.nskipped, 1, "safetensors: one skipped");
	ok(has(&x.notes, "\"names\": safetensors has no string type"), "safetensors: the skip is noted");
	exporter_release(&x);
}

/* Rules as a file would hold them, one a line. */
static void load(struct maprules *m, const char *text)
{
	char line[200];
	struct ck_err err;
	size_t n = 0;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if (maprules_parse_line(m, line, "test.rules", ++n, &err) < 0)
			tap_bail(err.msg);
		p += len + (nl ? 1 : 0);
	}
}

static void test_mapped(struct surg_input *in)
{
	struct export_mapping mp;
	struct exporter x = { .safetensors = 1 };
	struct namefilter all = { 0 };
	struct export_opts o = { 0 };
	struct st_file *f = NULL;
	struct ck_err err;
	char out[400];
	float got[6];

	export_mapping_init(&mp);
	load(&mp.rules, "drop optimizer\n"
			"drop ^(global_step|names)$\n"
			"transpose kernel$ T\n"
			"s,/kernel$,.weight,\n"
			"split ^emb$ 0 emb.a,emb.b\n"
			"keep ^dense/bias$\n");
	is_int(export_plan_mapped(&mp, &x, in, &all, &err), 0, "rules: planned");
	is_int(x.n, 4, "rules: kernel, bias and the two parts of emb");
	is_int(mp.nproblems, 0, "rules: every tensor accounted for, every rule used");
	ok(has(&mp.table, "dense/kernel float32[2,3] -> dense.weight float32[3,2] (transposed)"),
	   "rules: the table shows the transpose and the rename");
	ok(has(&mp.table, "emb bfloat16[2] -> emb.b bfloat16[1] (part 2 of 2)"),
	   "rules: the table shows each part of the split");
	ok(has(&mp.table, "dense/bias/Adam float32[3] -> (dropped)"), "rules: the table shows drops");
	is_int(x.data.tensors, 3, "rules: the source tensors exported, a split one once");

	snprintf(out, sizeof(out), "%s/out.safetensors", dir);
	o.out = out;
	o.no_sync = 1;
	is_int(export_write(&x, &o, &err), 0, "rules: written");
	ok(safetensors_open(&f, out, &err) == 0 && f->n == 4, "rules: the file holds 4 tensors");
	for (size_t i = 0; f && i < f->n; i++) {
		if (strcmp(f->t[i].name, "dense.weight"))
			continue;
		ok(f->t[i].rank == 2 && f->t[i].dims[0] == 3 && f->t[i].dims[1] == 2,
		   "rules: dense.weight is [3,2]");
		ok(safetensors_pread(f, i, 0, got, sizeof(got), &err) == 0 && got[0] == 0 &&
		   got[1] == 3 && got[2] == 1 && got[3] == 4 && got[4] == 2 && got[5] == 5,
		   "rules: dense.weight holds the kernel transposed");
	}
	safetensors_close(f);
	exporter_release(&x);
	export_mapping_release(&mp);
}

static void test_problems(struct surg_input *in)
{
	struct export_mapping mp;
	struct exporter x = { 0 };
	struct namefilter all = { 0 };
	struct ck_err err;

	export_mapping_init(&mp);
	mp.strict = 1;
	load(&mp.rules, "drop optimizer\n"
			"s,^dense/.*$,same,\n"
			"drop ^nothing$\n");
	is_int(export_plan_mapped(&mp, &x, in, &all, &err), 0, "problems: planned");
	ok(has(&mp.problems, "test.rules:3: rule 'drop ^nothing$' matches no tensor"),
	   "problems: a rule that matches nothing");
	ok(has(&mp.problems, "tensor \"global_step\": no rule accounts for it"),
	   "problems: a tensor no rule accounts for");
	ok(has(&mp.problems, "two tensors would be named \"same\""),
	   "problems: two tensors given one name");
	is_int(mp.nfatal, mp.nproblems, "problems: all fatal with strict");
	ok(mp.nproblems >= 4, "problems: counted (global_step, emb, names, the rule, the name)");
	exporter_release(&x);
	export_mapping_release(&mp);

	export_mapping_init(&mp);
	load(&mp.rules, "drop optimizer\n"
			"s,^dense/.*$,same,\n"
			"drop ^nothing$\n");
	is_int(export_plan_mapped(&mp, &x, in, &all, &err), 0, "not strict: planned");
	is_int(mp.nfatal, 1, "not strict: only the duplicate name is fatal");
	exporter_release(&x);
	export_mapping_release(&mp);
}

/* Large tensors, as the safetensors writer streams them: transposed while read on two cores
 * (rows short enough for groups of 8, rows too long for that, a third axis, one past
 * FORTRAN_MEMORY through temporary files), written on another thread while the next is read;
 * and one copied as it is in several chunks. Every value read back where it belongs. */
static const struct { const char *name; int rank; int64_t d[3]; const char *to; } bigs[] = {
	{ "k/dense", 2, { 1000, 3000 }, "k.dense" },    /* 12 KB rows */
	{ "k/wide", 2, { 3, 300001 }, "k.wide" },       /* 1.2 MB rows */
	{ "k/conv", 3, { 64, 100, 101 }, "k.conv" },    /* 2, 0, 1 */
	{ "k/huge", 2, { 2049, 4100 }, "k.huge" },      /* 33.6 MB */
	{ "k/tall", 2, { 20000, 13 }, "k.tall" },       /* 16 output rows over a MiB */
	{ "plain", 1, { 700001 }, "plain" },
};

static float value(size_t t, uint64_t i)
{
	return (float)((i * 2654435761u + t) % 1000003);
}

static void test_big(void)
{
	char big[400], out[400];
	struct bundle_writer *w;
	struct surg_input in = { 0 };
	struct export_mapping mp;
	struct exporter x = { .safetensors = 1 };
	struct namefilter all = { 0 };
	struct export_opts o = { 0 };
	struct st_file *f = NULL;
	struct ck_err err = { 0 };
	size_t nb = sizeof(bigs) / sizeof(bigs[0]);

	snprintf(big, sizeof(big), "%s/big", dir);
	if (bundle_writer_open(&w, big, 1, BW_FORCE | BW_NO_SYNC, &err) < 0)
		tap_bail(err.msg);
	for (size_t t = 0; t < nb; t++) {
		uint64_t n = 1;
		float *v;
		for (int k = 0; k < bigs[t].rank; k++)
			n *= (uint64_t)bigs[t].d[k];
		v = malloc(n * 4);
		for (uint64_t i = 0; i < n; i++)
			v[i] = value(t, i);
		bundle_writer_add(w, bigs[t].name, strlen(bigs[t].name), DT_FLOAT, bigs[t].d,
				  bigs[t].rank, 0, v, n * 4);
		free(v);
	}
	if (bundle_writer_finish(w, &err) < 0 || surg_input_open(&in, big, &err) < 0)
		tap_bail(err.msg);
	export_mapping_init(&mp);
	load(&mp.rules, "transpose ^k/(dense|wide|huge|tall)$ T\n"
			"transpose ^k/conv$ 2,0,1\n"
			"also s,/,.,\n");
	is_int(export_plan_mapped(&mp, &x, &in, &all, &err), 0, "big: planned");
	snprintf(out, sizeof(out), "%s/big.safetensors", dir);
	o.out = out;
	o.no_sync = 1;
	is_int(export_write(&x, &o, &err), 0, "big: written: %s", err.msg);
	ok(safetensors_open(&f, out, &err) == 0 && f->n == nb, "big: %zu tensors", nb);
	for (size_t i = 0; f && i < f->n; i++) {
		size_t t = 0;
		uint64_t n = 1, bad = 0;
		const int64_t *d;
		float *v;
		while (t < nb && strcmp(bigs[t].to, f->t[i].name))
			t++;
		if (t == nb)
			continue;
		d = bigs[t].d;
		for (int k = 0; k < bigs[t].rank; k++)
			n *= (uint64_t)d[k];
		v = malloc(n * 4);
		if (safetensors_pread(f, i, 0, v, n * 4, &err) < 0)
			bad = n;
		for (uint64_t j = 0; j < n && !bad; j++) {  /* j in the output; src in the input */
			uint64_t src = j;
			if (bigs[t].rank == 2 && t != nb - 1)  /* [c, r]: j = b * r + a holds in[a][b] */
				src = (j % (uint64_t)d[0]) * (uint64_t)d[1] + j / (uint64_t)d[0];
			else if (bigs[t].rank == 3) {  /* [d2, d0, d1]: j = (k * d0 + a) * d1 + b */
				uint64_t b = j % (uint64_t)d[1], a = j / (uint64_t)d[1] % (uint64_t)d[0];
				uint64_t k = j / ((uint64_t)d[1] * (uint64_t)d[0]);
				src = (a * (uint64_t)d[1] + b) * (uint64_t)d[2] + k;
			}
			bad += v[j] != value(t, src);
		}
		ok(!bad, "big: %s holds every value where it belongs", f->t[i].name);
		free(v);
	}
	safetensors_close(f);
	exporter_release(&x);
	export_mapping_release(&mp);
	surg_input_release(&in);
}

/* Export dmg through rules into out (.npz when its name says so): 0, or the error. */
static int export_dmg(const char *ckpt, const char *rules, const char *out, struct ck_err *err)
{
	struct surg_input in = { 0 };
	struct export_mapping mp;
	struct exporter x = { .safetensors = !strstr(out, ".npz") };
	struct namefilter all = { 0 };
	struct export_opts o = { .out = out, .no_sync = 1, .force = 1 };
	int rc = surg_input_open(&in, ckpt, err);

	export_mapping_init(&mp);
	load(&mp.rules, rules);
	if (rc == 0)
		rc = export_plan_mapped(&mp, &x, &in, &all, err);
	if (rc == 0)
		rc = export_write(&x, &o, err);
	exporter_release(&x);
	export_mapping_release(&mp);
	surg_input_release(&in);
	return rc;
}

/* Flip one bit of the data file at offset at. */
static void flip(const char *path, uint64_t at)
{
	FILE *f = fopen(path, "r+b");
	int c;

	if (!f || fseek(f, (long)at, SEEK_SET) || (c = fgetc(f)) == EOF ||
	    fseek(f, (long)at, SEEK_SET) || fputc(c ^ 1, f) == EOF || fclose(f))
		tap_bail("flip");
}

/* Casts on the way: a transposed kernel to bfloat16 and a tensor of three chunks to float16,
 * each value the source's, rounded, where it belongs. */
static void test_cast_placed(const char *ckpt, const char *out, const float *v, uint64_t pk,
			     uint64_t pn)
{
	struct st_file *f = NULL;
	struct ck_err err = { 0 };
	uint16_t *got = malloc((pk + pn) * 2);
	uint64_t bad_k = 0, bad_p = 0;

	is_int(export_dmg(ckpt, "transpose ^k$ T\ncast ^k$ bfloat16\ncast ^p$ float16\n", out, &err),
	       0, "cast: written: %s", err.msg);
	ok(safetensors_open(&f, out, &err) == 0 && f->n == 4, "cast: 4 tensors");
	for (size_t i = 0; f && i < f->n; i++) {
		if (!strcmp(f->t[i].name, "k") && safetensors_pread(f, i, 0, got, pk * 2, &err) == 0)
			for (uint64_t j = 0; j < pk; j++)  /* [700, 400]: j = b * 400 + a holds in[a][b] */
				bad_k += got[j] != double_to_bfloat16(v[(j % 400) * 700 + j / 400], NULL);
		else if (!strcmp(f->t[i].name, "p") && safetensors_pread(f, i, 0, got, pn * 2, &err) == 0)
			for (uint64_t j = 0; j < pn; j++)
				bad_p += got[j] != double_to_half(v[pk + j], NULL);
		else if (!strcmp(f->t[i].name, "k") || !strcmp(f->t[i].name, "p"))
			bad_k = bad_p = 1;
	}
	ok(f && !bad_k, "cast: the kernel transposed and in bfloat16 (%llu wrong)",
	   (unsigned long long)bad_k);
	ok(f && !bad_p, "cast: the chunks in float16 (%llu wrong)", (unsigned long long)bad_p);
	safetensors_close(f);
	free(got);
}

/* Member name's bytes after its .npy header (version 1: the header's length at 8), into p. */
static int npz_payload(struct npz_reader *r, const char *name, void *p, size_t n)
{
	uint8_t head[10];
	size_t i = 0, hlen;
	struct ck_err err;

	while (i < npz_count(r) && strcmp(npz_name(r, i), name))
		i++;
	if (i == npz_count(r) || npz_member_open(r, i, &err) < 0 ||
	    npz_member_read(r, head, 10, &err) != 10)
		return -1;
	hlen = (size_t)head[8] | (size_t)head[9] << 8;
	for (uint8_t skip[256]; hlen;) {
		long long k = npz_member_read(r, skip, hlen < sizeof(skip) ? hlen : sizeof(skip), &err);
		if (k <= 0)
			return -1;
		hlen -= (size_t)k;
	}
	for (size_t got = 0; got < n;) {
		long long k = npz_member_read(r, (uint8_t *)p + got, n - got, &err);
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	if (npz_member_read(r, head, 1, &err) != 0)  /* the end, where libzip checks the CRC */
		return -1;
	npz_member_close(r);
	return 0;
}

/* The same into a stored .npz, each member's CRC-32 summed in chunks on two threads: libzip
 * reads every value back where it belongs, CRCs checked; a damaged byte fails it. */
static void test_npz_placed(const char *ckpt, const char *data, uint64_t at_p, const float *v,
			    uint64_t pk, uint64_t pn)
{
	char out[400];
	struct npz_reader *r = NULL;
	struct ck_err err = { 0 };
	float *k = malloc(pk * 4);
	uint16_t *h = malloc(pn * 2);
	uint64_t bad = 0;

	snprintf(out, sizeof(out), "%s/dmg.npz", dir);
	is_int(export_dmg(ckpt, "transpose ^k$ T\ncast ^p$ float16\n", out, &err), 0,
	       "npz: written: %s", err.msg);
	ok(npz_open(&r, out, &err) == 0 && npz_count(r) == 4, "npz: libzip opens 4 members");
	if (r && npz_payload(r, "k.npy", k, pk * 4) == 0 && npz_payload(r, "p.npy", h, pn * 2) == 0) {
		for (uint64_t j = 0; j < pk; j++)
			bad += k[j] != v[(j % 400) * 700 + j / 400];
		for (uint64_t j = 0; j < pn; j++)
			bad += h[j] != double_to_half(v[pk + j], NULL);
	} else {
		bad = 1;
	}
	ok(!bad, "npz: the kernel transposed, the chunks in float16, CRCs checked");
	npz_close(r);
	unlink(out);
	flip(data, at_p);
	ok(export_dmg(ckpt, "transpose ^k$ T\n", out, &err) == CK_ECORRUPT &&
	   strstr(err.msg, "tensor \"p\": checksum") && access(out, F_OK) != 0,
	   "npz: a damaged byte fails it, nothing written: %s", err.msg);
	flip(data, at_p);
	free(k);
	free(h);
}

/* Tensors written in chunks by two threads at once, each chunk's CRC summed apart and the
 * sums combined: a damaged byte in a later chunk, or in a kernel read whole, fails the export
 * with the checksum error, and nothing is left behind; empty tensors are written and checked. */
static void test_damaged(void)
{
	char ckpt[400], data[400], out[400];
	struct bundle_writer *w;
	struct surg_input in = { 0 };
	struct st_file *f = NULL;
	struct ck_err err = { 0 };
	int64_t kd[2] = { 400, 700 }, pd[1] = { 700001 }, ed[2] = { 0, 4 };
	uint64_t pk = 400 * 700, pn = 700001, at_k, at_p;
	float *v = malloc((pk + pn) * 4);

	snprintf(ckpt, sizeof(ckpt), "%s/dmg", dir);
	snprintf(out, sizeof(out), "%s/dmg.safetensors", dir);
	for (uint64_t i = 0; i < pk + pn; i++)
		v[i] = value(9, i);
	if (bundle_writer_open(&w, ckpt, 1, BW_FORCE | BW_NO_SYNC, &err) < 0)
		tap_bail(err.msg);
	bundle_writer_add(w, "k", 1, DT_FLOAT, kd, 2, 0, v, pk * 4);
	bundle_writer_add(w, "p", 1, DT_FLOAT, pd, 1, 0, v + pk, pn * 4);
	bundle_writer_add(w, "empty", 5, DT_FLOAT, ed, 2, 0, NULL, 0);
	bundle_writer_add(w, "empty1", 6, DT_FLOAT, ed, 1, 0, NULL, 0);
	if (bundle_writer_finish(w, &err) < 0 || surg_input_open(&in, ckpt, &err) < 0)
		tap_bail(err.msg);
	at_k = bundle_find(in.b, "k", 1)->offset + 12345;
	at_p = bundle_find(in.b, "p", 1)->offset + (3u << 19);  /* in the second MiB */
	surg_input_release(&in);
	{
		char *d = bundle_data_path(ckpt, 0, 1);
		snprintf(data, sizeof(data), "%s", d);
		free(d);
	}

	is_int(export_dmg(ckpt, "transpose ^k$ T\n", out, &err), 0, "damaged: undamaged, written: %s", err.msg);
	ok(safetensors_open(&f, out, &err) == 0 && f->n == 4, "damaged: 4 tensors, 2 empty");
	if (f) {
		float got[2];
		for (size_t i = 0; i < f->n; i++)
			if (!strcmp(f->t[i].name, "p") &&
			    safetensors_pread(f, i, (pn - 2) * 4, got, 8, &err) == 0)
				ok(got[0] == v[pk + pn - 2] && got[1] == v[pk + pn - 1],
				   "damaged: the last chunk in its place");
	}
	safetensors_close(f);
	unlink(out);

	flip(data, at_p);
	ok(export_dmg(ckpt, "transpose ^k$ T\n", out, &err) == CK_ECORRUPT && strstr(err.msg, "tensor \"p\": checksum"),
	   "damaged: a byte in a later chunk: %s", err.msg);
	ok(access(out, F_OK) != 0, "damaged: nothing written");
	flip(data, at_p);
	flip(data, at_k);
	ok(export_dmg(ckpt, "transpose ^k$ T\n", out, &err) == CK_ECORRUPT && strstr(err.msg, "tensor \"k\": checksum"),
	   "damaged: a byte in a kernel: %s", err.msg);
	ok(access(out, F_OK) != 0, "damaged: nothing written");
	flip(data, at_k);
	test_cast_placed(ckpt, out, v, pk, pn);
	test_npz_placed(ckpt, data, at_p, v, pk, pn);
	free(v);
}

int main(void)
{
	struct surg_input in = { 0 };
	struct ck_err err;

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(prefix, sizeof(prefix), "%s/model.ckpt", dir);
	make();
	if (surg_input_open(&in, prefix, &err) < 0)
		tap_bail(err.msg);
	test_plain(&in);
	test_mapped(&in);
	test_problems(&in);
	surg_input_release(&in);
	test_big();
	test_damaged();
	{
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return tap_done();
}
