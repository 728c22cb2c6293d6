/* The trend page: everything inline (no script, style or font from the network), so that it
 * reads offline and can be attached to a CI run. */
#include "edit/trend_html.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/fmt.h"
#include "format/bundle.h"
#include "format/dtype.h"

#define TOP_LINES 8      /* series drawn in the line chart */
#define HEAT_ROWS 200    /* series drawn in the heat map */
#define CHART_W 720
#define CHART_H 260
#define MARGIN 48

static const char *const palette[TOP_LINES] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
};

static void addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void add_html_text(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': addstr(b, "&amp;"); break;
		case '<': addstr(b, "&lt;"); break;
		case '>': addstr(b, "&gt;"); break;
		case '"': addstr(b, "&quot;"); break;
		case '\'': addstr(b, "&#39;"); break;
		default: buf_addc(b, s[i]);
		}
	}
}

/* A series' name as shown (escaped as everywhere, then for HTML). */
static void add_name(struct buf *b, const struct trend_series *s)
{
	struct buf tmp = BUF_INIT;

	name_escaped(&tmp, s->name, s->name_len);
	add_html_text(b, (const char *)tmp.p, tmp.len);
	buf_release(&tmp);
}

static void add_step(struct buf *b, const struct trend_ckpt *c)
{
	if (c->has_step)
		buf_addf(b, "%lld", (long long)c->step);
	else
		addstr(b, "?");
}

static void scale(const struct trend *t, double *lo, double *hi)
{
	double min = INFINITY, max = 0;

	for (size_t i = 0; i < t->ns; i++)
		for (size_t k = 0; k + 1 < t->n; k++) {
			double v = t->s[i].rel[k];
			if (v > 0 && isfinite(v)) {
				min = v < min ? v : min;
				max = v > max ? v : max;
			}
		}
	*lo = max > 0 ? floor(log10(min)) : -6;
	*hi = max > 0 ? ceil(log10(max)) : 0;
	if (*hi <= *lo)
		*hi = *lo + 1;
}

/* Position in [0, 1] of a relative change on the log scale (0 and below the scale: 0). */
static double level(double v, double lo, double hi)
{
	double f;

	if (!(v > 0))
		return 0;
	if (!isfinite(v))
		return 1;
	f = (log10(v) - lo) / (hi - lo);
	return f < 0 ? 0 : f > 1 ? 1 : f;
}

static int has_nonfinite(const struct trend_series *s, size_t k)
{
	return s->present[k] && (s->nan[k] || s->inf[k]);
}

static double xpos(size_t k, size_t m)
{
	return MARGIN + (m > 1 ? (double)k * (CHART_W - 2 * MARGIN) / (double)(m - 1) : 0);
}

/* Relative change per step of the top series: x the newer checkpoint of each pair. */
static void line_chart(struct buf *b, const struct trend *t, double lo, double hi)
{
	size_t m = t->n - 1, shown = 0;

	buf_addf(b, "<h2>Relative change per step</h2>\n<svg class=\"chart\" viewBox=\"0 0 %d %d\" "
		 "width=\"%d\" height=\"%d\" role=\"img\">\n", CHART_W, CHART_H + 56, CHART_W,
		 CHART_H + 56);
	for (double d = lo; d <= hi; d++) {
		double y = CHART_H - (d - lo) / (hi - lo) * (CHART_H - 20);
		buf_addf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
			 "<text x=\"4\" y=\"%.1f\" class=\"ax\">1e%d</text>\n", MARGIN,
			 CHART_W - MARGIN, y, y, y + 4, (int)d);
	}
	for (size_t k = 0, every = (m + 11) / 12; k < m; k++) {  /* about 12 labels at most */
		if (k % every && k + 1 != m)
			continue;
		buf_addf(b, "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">",
			 xpos(k, m), CHART_H + 16);
		add_step(b, &t->c[k + 1]);
		addstr(b, "</text>\n");
	}
	for (size_t i = 0; i < t->ns && shown < TOP_LINES; i++) {
		const struct trend_series *s = &t->s[i];
		const char *col = palette[shown];
		int pen = 0;
		if (s->kind != TREND_FLOAT)
			continue;
		buf_addf(b, "<g><title>");
		add_name(b, s);
		buf_addf(b, "</title><path fill=\"none\" stroke=\"%s\" stroke-width=\"2\" d=\"", col);
		for (size_t k = 0; k < m; k++) {
			double y;
			if (isnan(s->rel[k])) {
				pen = 0;
				continue;
			}
			y = CHART_H - level(s->rel[k], lo, hi) * (CHART_H - 20);
			buf_addf(b, "%c%.1f %.1f ", pen ? 'L' : 'M', xpos(k, m), y);
			pen = 1;
		}
		addstr(b, "\"/>");
		for (size_t k = 0; k < m; k++)
			if (has_nonfinite(s, k + 1))
				buf_addf(b, "<text x=\"%.1f\" y=\"14\" class=\"nan\" fill=\"%s\" "
					 "text-anchor=\"middle\">&#9888;</text>", xpos(k, m), col);
		addstr(b, "</g>\n");
		buf_addf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
			 "<text x=\"%d\" y=\"%d\" class=\"ax\">", MARGIN + (int)(shown % 4) * 170,
			 CHART_H + 24 + (int)(shown / 4) * 16, col, MARGIN + 14 + (int)(shown % 4) * 170,
			 CHART_H + 34 + (int)(shown / 4) * 16);
		add_name(b, s);
		addstr(b, "</text>\n");
		shown++;
	}
	addstr(b, "</svg>\n");
}

/* Heat map: a row per series, a column per pair; darker is a larger change. NaN/Inf in the
 * newer checkpoint: a red frame; a changed shape: grey. */
static void heat_map(struct buf *b, const struct trend *t, double lo, double hi)
{
	size_t m = t->n - 1, rows = 0;
	int cw, ch = 14, left = 260;

	for (size_t i = 0; i < t->ns && rows < HEAT_ROWS; i++)
		rows += t->s[i].kind == TREND_FLOAT;
	cw = m ? (int)((CHART_W - left) / m) : 10;
	cw = cw < 6 ? 6 : cw > 40 ? 40 : cw;
	buf_addf(b, "<h2>Heat map: relative change, series &times; step</h2>\n<svg class=\"heat\" "
		 "width=\"%zu\" height=\"%zu\" role=\"img\">\n", left + (size_t)cw * m + 10,
		 rows * (size_t)ch + 30);
	rows = 0;
	for (size_t i = 0; i < t->ns && rows < HEAT_ROWS; i++) {
		const struct trend_series *s = &t->s[i];
		double y = (double)rows * ch;
		if (s->kind != TREND_FLOAT)
			continue;
		buf_addf(b, "<text x=\"%d\" y=\"%.0f\" class=\"ax\" text-anchor=\"end\">", left - 4,
			 y + ch - 3);
		add_name(b, s);
		addstr(b, "</text>");
		for (size_t k = 0; k < m; k++) {
			double v = s->rel[k];
			const char *extra = has_nonfinite(s, k + 1) ? " stroke=\"#d00\" stroke-width=\"2\""
								    : "";
			buf_addf(b, "<rect x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%d\"%s ", left +
				 (int)k * cw, y, cw - 1, ch - 1, extra);
			if (s->reshaped[k])
				addstr(b, "fill=\"#bbb\"");
			else if (isnan(v))
				addstr(b, "fill=\"#fff\"");
			else
				buf_addf(b, "fill=\"#08306b\" fill-opacity=\"%.3f\"",
					 0.05 + 0.95 * level(v, lo, hi));
			addstr(b, "><title>");
			add_name(b, s);
			addstr(b, " step ");
			add_step(b, &t->c[k + 1]);
			if (s->reshaped[k])
				buf_addf(b, ": shape changed");
			else if (!isnan(v))
				buf_addf(b, ": %.4g", v);
			if (has_nonfinite(s, k + 1))
				buf_addf(b, " (%llu NaN, %llu Inf)", (unsigned long long)s->nan[k + 1],
					 (unsigned long long)s->inf[k + 1]);
			addstr(b, "</title></rect>");
		}
		buf_addc(b, '\n');
		rows++;
	}
	for (size_t k = 0; k < m; k++) {
		buf_addf(b, "<text x=\"%d\" y=\"%zu\" class=\"ax\">", left + (int)k * cw,
			 rows * (size_t)ch + 14);
		if (k % ((m + 5) / 6) == 0 || k + 1 == m || m <= 12)
			add_step(b, &t->c[k + 1]);
		addstr(b, "</text>");
	}
	addstr(b, "\n</svg>\n");
}

static void num_cell(struct buf *b, double v)
{
	if (isnan(v))
		addstr(b, "<td data-v=\"-1\">-</td>");
	else
		buf_addf(b, "<td data-v=\"%.17g\">%.4g</td>", isfinite(v) ? v : 1e308, v);
}

static void table(struct buf *b, const struct trend *t)
{
	addstr(b, "<h2>Tensors</h2>\n<p><input id=\"flt\" placeholder=\"filter names\" "
		"oninput=\"flt()\"> click a column to sort</p>\n<table id=\"tb\"><thead><tr>"
		"<th>name</th><th>dtype</th><th>shape</th><th>norm</th><th>rel change</th>"
		"<th>NaN</th><th>Inf</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < t->ns; i++) {
		const struct trend_series *s = &t->s[i];
		size_t last = t->n - 1;
		addstr(b, "<tr><td>");
		add_name(b, s);
		buf_addf(b, "</td><td>%s</td><td>", s->dims ? dtype_name(s->dtype) : "scope");
		if (s->dims) {
			struct buf sh = BUF_INIT;
			shape_format(&sh, s->dims, s->rank);
			add_html_text(b, (const char *)sh.p, sh.len);
			buf_release(&sh);
		} else {
			buf_addf(b, "%zu tensors", s->tensors);
		}
		addstr(b, "</td>");
		if (s->kind == TREND_COUNTER) {
			buf_addf(b, "<td data-v=\"%lld\">%lld</td>", (long long)s->value[last],
				 (long long)s->value[last]);
			addstr(b, "<td data-v=\"-1\">-</td><td data-v=\"0\"></td><td data-v=\"0\"></td>");
			addstr(b, "</tr>\n");
			continue;
		}
		num_cell(b, trend_latest_norm(t, s));
		num_cell(b, trend_latest_rel(t, s, NULL));
		buf_addf(b, "<td data-v=\"%llu\"%s>%llu</td><td data-v=\"%llu\"%s>%llu</td></tr>\n",
			 (unsigned long long)s->nan[last], s->nan[last] ? " class=\"bad\"" : "",
			 (unsigned long long)s->nan[last], (unsigned long long)s->inf[last],
			 s->inf[last] ? " class=\"bad\"" : "", (unsigned long long)s->inf[last]);
	}
	addstr(b, "</tbody></table>\n");
}

static const char style[] =
	"<style>\n"
	"body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}\n"
	"h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}\n"
	".ax{font:11px monospace;fill:#444}.grid{stroke:#ddd}.nan{font:14px sans-serif}\n"
	"table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #eee;"
	"text-align:right}td:first-child,th:first-child{text-align:left;font-family:monospace}\n"
	"th{cursor:pointer;background:#f4f4f4}.bad{color:#d00;font-weight:bold}\n"
	"</style>\n";

/* Sort by a column (numbers by data-v), filter by a substring of the name. */
static const char script[] =
	"<script>\n"
	"function flt(){var q=document.getElementById('flt').value;"
	"for(const r of document.querySelectorAll('#tb tbody tr'))"
	"r.style.display=r.cells[0].textContent.includes(q)?'':'none'}\n"
	"document.querySelectorAll('#tb th').forEach(function(h,i){h.onclick=function(){"
	"var tb=document.querySelector('#tb tbody'),rs=Array.from(tb.rows),d=h.dataset.d=="
	"'1'?-1:1;h.dataset.d=d;rs.sort(function(a,b){var x=a.cells[i],y=b.cells[i];"
	"return x.dataset.v!==undefined?d*(y.dataset.v-x.dataset.v):d*x.textContent."
	"localeCompare(y.textContent)});rs.forEach(function(r){tb.appendChild(r)})}})\n"
	"</script>\n";

void trend_html(struct buf *b, const struct trend *t)
{
	double lo, hi;

	scale(t, &lo, &hi);
	addstr(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<title>ckpt trend</title>\n");
	addstr(b, style);
	buf_addf(b, "</head><body>\n<h1>ckpt trend: %zu checkpoints, %zu series</h1>\n"
		 "<details%s><summary>checkpoints</summary><ol>\n", t->n, t->ns,
		 t->n <= 10 ? " open" : "");
	for (size_t k = 0; k < t->n; k++) {
		addstr(b, "<li>step ");
		add_step(b, &t->c[k]);
		addstr(b, ": <code>");
		add_html_text(b, t->c[k].prefix, strlen(t->c[k].prefix));
		addstr(b, "</code></li>\n");
	}
	addstr(b, "</ol></details>\n");
	if (t->n > 1) {
		line_chart(b, t, lo, hi);
		heat_map(b, t, lo, hi);
	}
	table(b, t);
	addstr(b, script);
	addstr(b, "</body></html>\n");
}
