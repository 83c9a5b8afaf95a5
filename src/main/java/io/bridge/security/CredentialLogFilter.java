package io.bridge.security;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.util.SensitiveUtils;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.helpers.FormattingTuple;
import org.slf4j.helpers.MessageFormatter;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.logging.LoggingApplicationListener;
import org.springframework.context.ApplicationListener;
import org.springframework.core.Ordered;

/**
 * Keeps credentials out of the log whatever the levels say. Turning every logger to DEBUG (or
 * HttpClient's to TRACE) is a normal troubleshooting step, and then HttpClient prints every request
 * header: {@code Api-Key: <Iterable key>}, {@code Authorization: Basic <Mixpanel service account>}.
 * Levels alone cannot prevent that (anyone may raise them), so this logback turbo filter, installed
 * by the application right after Spring Boot configures logging and kept across logback resets,
 * sees every event of every logger before it is written:
 * <ul>
 * <li>HttpClient's wire log ({@code org.apache.hc.client5.http.wire}, and HttpClient 4's and
 * HttpCore's) is never written. It is raw bytes cut wherever a socket write ended, so a header can
 * be split across two lines and no line-by-line masking can be trusted; it also carries every request
 * and response body (cohort members' emails). The header log, masked, says what troubleshooting
 * needs.</li>
 * <li>Any other line that carries a credential header ({@code Authorization}, {@code
 * Proxy-Authorization}, {@code Api-Key}, {@code Cookie}, {@code Set-Cookie}) or a {@code Basic},
 * {@code Bearer} or {@code OAuth2} credential is written with the value replaced by {@code ****}:
 * {@code http-outgoing-3 >> Authorization: Basic ****}.</li>
 * <li>An endpoint URI's secret option ({@code ?password=...}, {@code &apiKey=RAW(...)}: the option
 * names Camel counts as sensitive, which include {@code user} and {@code username}): Camel masks most
 * URIs it writes itself, not all of those quoted in the error of a route that could not be loaded.</li>
 * <li>Tomcat's note on a form field it could not decode ({@code Parameter [password] with value
 * [...]}: the console's sign-in form) is written with the value masked.</li>
 * </ul>
 * The messages of a throwable logged with the event (its causes' and suppressed ones' too) are masked
 * the same way: Tomcat quotes a request's malformed header line, the Authorization header among
 * them, in the exception it logs. Such a throwable is written as a {@link Masked} that names the
 * original's type in its message and keeps its stack trace; a chain deeper than it looks through
 * (16 causes) is cut there.
 * Events below their logger's level (and level checks that answer no) cost one level comparison;
 * written ones, one formatting and four regular-expression searches per message.
 */
public final class CredentialLogFilter extends TurboFilter {

    static final List<String> WIRE_LOGGERS = List.of("org.apache.hc.client5.http.wire", "org.apache.hc.core5.http.wire",
            "org.apache.http.wire");
    static final String MASK = "****";

    private static final Pattern HEADER = Pattern.compile(
            "(?i)\\b((?:proxy-)?authorization|(?:x-)?api-key|set-cookie|cookie)(\\s*[:=]\\s*\"?)"
                    + "((?:basic|bearer|oauth2?|digest|token|negotiate)\\s+)?([^\\r\\n\"]+)");
    private static final Pattern SCHEME = Pattern.compile("(?i)\\b(basic|bearer|oauth2?)(\\s+)([A-Za-z0-9+/=._~-]{16,})");
    /** The value runs to the next option or blank (a RAW value to the bracket before one): more than the secret, never less. */
    private static final Pattern URI_OPTION = Pattern.compile("(?i)([?&](?:" + SensitiveUtils.getSensitivePattern() + ")=)"
            + "(RAW\\(.*?\\)(?=[&\\s]|$)|RAW\\{.*?\\}(?=[&\\s]|$)|[^&\\s]+)");
    private static final Pattern PARAMETER = Pattern.compile("(?i)(\\bwith value \\[)[^\\]]*\\]");
    private static final String FQCN = Logger.class.getName();
    private static final ThreadLocal<Boolean> RELOGGING = new ThreadLocal<>();

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (level != null && !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
            return FilterReply.NEUTRAL; // below the logger's level: not written anyway (most calls: isTraceEnabled in a hot loop)
        }
        if (isWire(logger.getName())) {
            return FilterReply.DENY;
        }
        if (format == null || level == null || RELOGGING.get() != null) {
            return FilterReply.NEUTRAL;
        }
        FormattingTuple message = t == null ? MessageFormatter.arrayFormat(format, params) : MessageFormatter.arrayFormat(format, params, t);
        // the throwable passed as such (logger.warn(text, e)), else the one the formatting took from the arguments' last
        Throwable thrown = t != null ? t : message.getThrowable();
        String masked = mask(message.getMessage());
        Throwable maskedThrowable = mask(thrown);
        if (masked == null && maskedThrowable == null) {
            return FilterReply.NEUTRAL;
        }
        RELOGGING.set(Boolean.TRUE);
        try {
            logger.log(marker, FQCN, Level.toLocationAwareLoggerInteger(level), masked == null ? message.getMessage() : masked, null,
                    maskedThrowable == null ? thrown : maskedThrowable);
        } finally {
            RELOGGING.remove();
        }
        return FilterReply.DENY;
    }

    private static boolean isWire(String logger) {
        if (!logger.startsWith("org.apache.h")) { // asked for every event and enabled level of every logger: one comparison
            return false;
        }
        for (String wire : WIRE_LOGGERS) {
            if (logger.startsWith(wire) && (logger.length() == wire.length() || logger.charAt(wire.length()) == '.')) {
                return true;
            }
        }
        return false;
    }

    /** The text with every credential masked, or null when it holds none. */
    static String mask(String text) {
        if (text == null) {
            return null;
        }
        boolean changed = false;
        Matcher header = HEADER.matcher(text);
        if (header.find()) {
            StringBuilder out = new StringBuilder();
            do {
                String scheme = header.group(3) == null ? "" : header.group(3);
                header.appendReplacement(out, Matcher.quoteReplacement(header.group(1) + header.group(2) + scheme + MASK));
            } while (header.find());
            header.appendTail(out);
            text = out.toString();
            changed = true;
        }
        Matcher option = URI_OPTION.matcher(text);
        if (option.find()) {
            text = option.replaceAll(match -> Matcher.quoteReplacement(match.group(1) + MASK));
            changed = true;
        }
        Matcher parameter = PARAMETER.matcher(text); // Tomcat on a form field it cannot decode (the sign-in's password)
        if (parameter.find()) {
            text = parameter.replaceAll(match -> Matcher.quoteReplacement(match.group(1) + MASK + "]"));
            changed = true;
        }
        Matcher scheme = SCHEME.matcher(text);
        if (scheme.find()) {
            text = scheme.replaceAll(match -> Matcher.quoteReplacement(match.group(1) + match.group(2) + MASK));
            changed = true;
        }
        return changed ? text : null;
    }

    /** Causes and suppressed throwables looked through, at most: a deeper chain is cut rather than written unread. */
    private static final int MAX_DEPTH = 16;

    /**
     * The throwable again, as {@link Masked}s, when a message in it (its own, a cause's, a suppressed
     * one's) holds a credential or the chain is too deep to look through; null otherwise.
     */
    static Throwable mask(Throwable thrown) {
        if (thrown == null || !holdsCredential(thrown, 0, identitySet())) {
            return null;
        }
        return copy(thrown, 0, identitySet());
    }

    private static boolean holdsCredential(Throwable thrown, int depth, Set<Throwable> seen) {
        if (thrown == null || !seen.add(thrown)) {
            return false;
        }
        if (depth > MAX_DEPTH || mask(thrown.getMessage()) != null || holdsCredential(thrown.getCause(), depth + 1, seen)) {
            return true;
        }
        for (Throwable suppressed : thrown.getSuppressed()) {
            if (holdsCredential(suppressed, depth + 1, seen)) {
                return true;
            }
        }
        return false;
    }

    /** The chain as Masked copies: messages masked, stack traces kept, each throwable once, nothing below MAX_DEPTH. */
    private static Throwable copy(Throwable thrown, int depth, Set<Throwable> seen) {
        if (thrown == null || depth > MAX_DEPTH || !seen.add(thrown)) {
            return null;
        }
        String message = thrown.getMessage();
        String masked = mask(message);
        Masked copy = new Masked(thrown.getClass().getName() + (message == null ? "" : ": " + (masked == null ? message : masked)),
                copy(thrown.getCause(), depth + 1, seen));
        copy.setStackTrace(thrown.getStackTrace());
        for (Throwable suppressed : thrown.getSuppressed()) {
            Throwable suppressedCopy = copy(suppressed, depth + 1, seen);
            if (suppressedCopy != null) {
                copy.addSuppressed(suppressedCopy);
            }
        }
        return copy;
    }

    private static Set<Throwable> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }

    /** A logged throwable whose message held a credential: the original's type and masked message, its stack trace. */
    public static final class Masked extends RuntimeException {
        Masked(String typeAndMessage, Throwable cause) {
            super(typeAndMessage, cause);
        }
    }

    /** Adds the filter to logback, once, and again after every reset (Spring Boot resets logback as it configures it). */
    public static void install() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            install(context);
        }
    }

    static void install(LoggerContext context) {
        synchronized (CredentialLogFilter.class) {
            if (context.getCopyOfListenerList().stream().noneMatch(Reinstall.class::isInstance)) {
                context.addListener(new Reinstall());
            }
            addTo(context);
        }
    }

    private static void addTo(LoggerContext context) {
        if (context.getTurboFilterList().stream().noneMatch(CredentialLogFilter.class::isInstance)) {
            CredentialLogFilter filter = new CredentialLogFilter();
            filter.setName("bridge-credentials");
            filter.setContext(context);
            filter.start();
            context.addTurboFilter(filter);
        }
    }

    private static final class Reinstall implements LoggerContextListener {
        @Override
        public boolean isResetResistant() {
            return true;
        }

        @Override
        public void onReset(LoggerContext context) {
            addTo(context);
        }

        @Override
        public void onStart(LoggerContext context) {
            addTo(context);
        }

        @Override
        public void onStop(LoggerContext context) {
        }

        @Override
        public void onLevelChange(Logger logger, Level level) {
        }
    }

    /**
     * Registered in META-INF/spring.factories, so it runs in every SpringApplication, tests included:
     * right after Spring Boot has (re)configured logback, which stops and resets it (dropping turbo
     * filters and listeners alike).
     */
    public static final class Installer implements ApplicationListener<ApplicationEnvironmentPreparedEvent>, Ordered {
        @Override
        public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
            install();
        }

        @Override
        public int getOrder() {
            return LoggingApplicationListener.DEFAULT_ORDER + 1;
        }
    }
}
