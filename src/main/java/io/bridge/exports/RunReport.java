package io.bridge.exports;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * One run's outcome per member, the report.csv of {@code GET /api/exports/{cohortId}/runs/{runId}/report.csv}:
 * {@code distinct_id,email,outcome,reason} with outcome added, removed, unchanged, skipped-no-email,
 * skipped-duplicate-email or failed. Written gzip-compressed to a temporary file while the run goes
 * (a line costs no database write), stored in {@code sync_run_reports} when the run ends.
 */
public final class RunReport {

    public static final String HEADER = "distinct_id,email,outcome,reason\n";
    private final Path file;
    private final Writer out;

    RunReport() {
        try {
            file = Files.createTempFile("bridge-run-", ".csv.gz");
            out = new BufferedWriter(new OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(file), 1 << 16),
                    StandardCharsets.UTF_8), 1 << 16);
            out.write(HEADER);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the run's report to " + System.getProperty("java.io.tmpdir"), e);
        }
    }

    public void line(String distinctId, String email, String outcome, String reason) {
        try {
            out.append(csv(distinctId)).append(',').append(csv(email)).append(',').append(outcome).append(',')
                    .append(csv(reason)).append('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the run's report", e);
        }
    }

    /** Closes the report; returns the compressed file, which the caller stores and deletes. */
    Path finish() throws IOException {
        out.close();
        return file;
    }

    void discard() {
        try {
            out.close();
        } catch (IOException ignored) {
            // the file goes anyway
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temporary file
        }
    }

    static String csv(String value) {
        if (value == null || value.isEmpty()) {
            return "";
        }
        boolean quote = value.indexOf(',') >= 0 || value.indexOf('"') >= 0 || value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0;
        return quote ? '"' + value.replace("\"", "\"\"") + '"' : value;
    }
}
