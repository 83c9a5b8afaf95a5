package io.bridge;

import java.sql.Timestamp;
import java.time.Instant;

/** TIMESTAMP WITH TIME ZONE values as the embedded HSQLDB and PostgreSQL return them. */
public final class DbTimestamps {

    private DbTimestamps() {
    }

    /** A TIMESTAMP WITH TIME ZONE as HSQLDB (OffsetDateTime) or PostgreSQL (Timestamp) returns it; null stays null. */
    public static Instant toInstant(Object timestamp) {
        if (timestamp == null) {
            return null;
        }
        if (timestamp instanceof Timestamp t) {
            return t.toInstant();
        }
        if (timestamp instanceof java.time.OffsetDateTime o) {
            return o.toInstant();
        }
        return Instant.parse(timestamp.toString());
    }
}
