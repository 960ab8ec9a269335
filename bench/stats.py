"""Medians, p99 and ratios over repeated runs."""

import statistics


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float('nan')
    last = len(ordered) - 1
    index = min(last, max(0, round(fraction * last)))
    return ordered[index]


def summary(values):
    return {'n': len(values), 'median': statistics.median(values),
            'p99': percentile(values, 0.99), 'min': min(values),
            'max': max(values)}


def row(name, engine, reference):
    """One line of a results table: engine vs reference, with the ratio."""
    e, r = summary(engine), summary(reference)
    return {'case': name, 'engine_median': e['median'],
            'engine_p99': e['p99'], 'reference_median': r['median'],
            'reference_p99': r['p99'],
            'ratio_median': e['median'] / r['median'], 'n': e['n']}


def format_rows(rows, unit='s'):
    lines = ['| case | n | engine median | engine p99 | docker median | '
             'docker p99 | ratio (median) |', '|---|---|---|---|---|---|---|']
    for item in rows:
        lines.append('| %s | %d | %.3f %s | %.3f %s | %.3f %s | %.3f %s | '
                     '%.2f |' % (item['case'], item['n'],
                                 item['engine_median'], unit,
                                 item['engine_p99'], unit,
                                 item['reference_median'], unit,
                                 item['reference_p99'], unit,
                                 item['ratio_median']))
    return '\n'.join(lines)
