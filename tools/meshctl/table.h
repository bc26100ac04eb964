/*
 * table.h: a text table for people: columns as wide as their widest cell,
 * two spaces apart, numbers aligned on the right.
 */
#ifndef MESHCTL_TABLE_H
#define MESHCTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 16

typedef struct table table;

/* headers: ncols names; a name starting with '>' is a right-aligned column
 * (the '>' is not printed). NULL when ncols is 0, over TABLE_MAX_COLS, or
 * without memory. */
table *table_new(size_t ncols, const char *const *headers);
/* Adds a row of ncols cells (copied; NULL prints "-"). 0, or -1 without
 * memory. */
int table_add(table *t, const char *const *cells);
void table_print(const table *t, FILE *out);
void table_free(table *t);

#endif
