#include "table.h"

#include <stdlib.h>
#include <string.h>

struct table {
	size_t ncols;
	int right[TABLE_MAX_COLS];
	char **cells; /* rows * ncols, the header row first */
	size_t rows;
	size_t cap;
};

int table_add(table *t, const char *const *cells)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **grown =
		    realloc(t->cells, cap * t->ncols * sizeof *grown);
		if (!grown)
			return -1;
		t->cells = grown;
		t->cap = cap;
	}
	char **row = &t->cells[t->rows * t->ncols];
	for (size_t i = 0; i < t->ncols; i++) {
		row[i] = strdup(cells[i] ? cells[i] : "-");
		if (!row[i]) {
			while (i-- > 0)
				free(row[i]);
			return -1;
		}
	}
	t->rows++;
	return 0;
}

table *table_new(size_t ncols, const char *const *headers)
{
	const char *names[TABLE_MAX_COLS];
	table *t;

	if (ncols == 0 || ncols > TABLE_MAX_COLS || !(t = calloc(1, sizeof *t)))
		return NULL;
	t->ncols = ncols;
	for (size_t i = 0; i < ncols; i++) {
		t->right[i] = headers[i][0] == '>';
		names[i] = headers[i] + t->right[i];
	}
	if (table_add(t, names) != 0) {
		table_free(t);
		return NULL;
	}
	return t;
}

void table_print(const table *t, FILE *out)
{
	size_t width[TABLE_MAX_COLS] = {0};

	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t n = strlen(t->cells[r * t->ncols + c]);
			if (n > width[c])
				width[c] = n;
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			int w = (int)width[c];
			int last = c + 1 == t->ncols;
			if (t->right[c])
				fprintf(out, "%*s", w, cell);
			else
				fprintf(out, "%-*s", last ? 0 : w, cell);
			fputs(last ? "\n" : "  ", out);
		}
	}
}

void table_free(table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
