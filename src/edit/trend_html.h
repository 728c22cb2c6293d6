/* `ckpt trend --html`: the series of a run as one self-contained page. */
#ifndef CKPT_TREND_HTML_H
#define CKPT_TREND_HTML_H

#include "base/util.h"
#include "edit/trend.h"

/* Append to out an HTML page that loads nothing: inline CSS, inline SVG charts (relative change
 * per step of the top series, a heat map of series x steps with NaN/Inf marked), and the table,
 * sorted and filtered by a few lines of inline script. The series are shown in t's order. */
void trend_html(struct buf *out, const struct trend *t);

#endif
