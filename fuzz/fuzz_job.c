/*
 * fuzz_job.c - libFuzzer target for the job file parser: sl_job_parse() over
 * arbitrary bytes must either return a job or fail with an SL_EJOB error
 * whose message starts with the file name; never crash, leak or hang.
 * Seeds: fuzz/seeds/fuzz_job/ (valid job files of every shape, nesting up
 * to and past the 64-level cap, anchors within anchors, every ${...} form,
 * a second document). FUZZ_SET, FUZZ_EMPTY and FUZZ_UNSET give ${...} a
 * set, an empty and an unset variable.
 */
#include "core/sl_log.h"
#include "job/sl_job.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        once = 1;
        sl_log_setup(SL_LOG_OFF, false);
        setenv("FUZZ_SET", "value", 1);
        setenv("FUZZ_EMPTY", "", 1);
        unsetenv("FUZZ_UNSET");
    }
    sl_err err = SL_ERR_INIT;
    sl_job *job = sl_job_parse((const char *)data, size, "fuzz/job.yaml", &err);
    if (job) {
        /* Touch what the engine reads, so a dangling pointer shows up. */
        size_t n = strlen(job->name) + strlen(job->dir);
        for (int i = 0; i < job->ntables; i++) {
            const sl_job_table *t = &job->tables[i];
            n += strlen(t->name) + strlen(t->source->kind) + strlen(t->target->path) + strlen(t->partition.strategy) +
                 strlen(t->target->compression);
            if (t->table) n += strlen(t->table);
            if (t->query) n += strlen(t->query);
            if (t->partition.column) n += strlen(t->partition.column);
            for (int c = 0; c < t->ncolumns; c++) n += strlen(t->columns[c].name);
        }
        if (n == 0) abort();
        sl_job_free(job);
    } else if (err.code != SL_EJOB || strncmp(err.msg, "fuzz/job.yaml", 13) != 0) {
        abort();
    }
    return 0;
}
