package io.bridge.security;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;

/**
 * The filter on a logback context of its own, every logger at TRACE: the forms a credential takes
 * in the lines of HttpClient, Tomcat and Spring come out masked, HttpClient's wire log not at all,
 * and a logback reset (as Spring Boot does when it configures logging) does not remove it.
 */
class CredentialLogFilterTest {

    static final String BASIC = "dGVzdC1zZXJ2aWNlLWFjY291bnQ6bm90LWEtcmVhbC1taXhwYW5lbC1zZWNyZXQ=";
    static final String KEY = "0123456789abcdef0123456789abcdef";

    @Test
    void credentialsAreMaskedWireIsDroppedTheRestIsUntouched() {
        LoggerContext context = new LoggerContext();
        CredentialLogFilter.install(context);
        ListAppender<ILoggingEvent> log = appender(context);

        Logger headers = context.getLogger("org.apache.hc.client5.http.headers");
        headers.debug("{} >> {}", "http-outgoing-3", "Authorization: Basic " + BASIC);
        headers.debug("{} >> {}", "http-outgoing-4", "Api-Key: " + KEY);
        headers.debug("{} << {}", "http-outgoing-4", "Content-Type: application/json");
        context.getLogger("org.apache.hc.client5.http.wire").trace("{} >> \"{}[\\r][\\n]\"", "http-outgoing-4", "Api-Key: " + KEY);
        context.getLogger("org.apache.hc.client5.http.wire").debug("http-outgoing-4 << \"{\"emails\":[\"a@x.com\"]}\"");
        context.getLogger("org.apache.coyote.http11.Http11InputBuffer")
                .debug("Received [GET /api/exports HTTP/1.1\r\nAuthorization: Basic " + BASIC + "\r\nHost: x\r\n\r\n]");
        context.getLogger("org.springframework.web").debug("headers=[Authorization:\"OAuth2 " + KEY + "\", Accept:\"*/*\"]");
        context.getLogger("io.bridge").info("calling with bearer {}", KEY, new IllegalStateException("boom"));
        context.getLogger("org.apache.tomcat.util.http.Parameters").info("Character decoding failed. Parameter [password] with "
                + "value [50%off-secret] has been ignored. Note that the name and value quoted here may be corrupted");
        context.getLogger("org.springframework.context").warn("Exception encountered during context initialization: Uri should not "
                + "contain query parameters (uri: servlett:/iterable?Password=route-secret-4711&apiKey=RAW(a&b)&chunked=false)  in "
                + "file:/routes/x.camel.yaml, line 4");
        context.getLogger("org.apache.camel").info("endpoints: x:a?token=RAW(ab)cd)&n=1 y:b?secret='s3 y:c?apiKey=ab,cd)e&passphrase=RAW{p&q}");

        assertThat(log.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "http-outgoing-3 >> Authorization: Basic ****",
                "http-outgoing-4 >> Api-Key: ****",
                "http-outgoing-4 << Content-Type: application/json",
                "Received [GET /api/exports HTTP/1.1\r\nAuthorization: Basic ****\r\nHost: x\r\n\r\n]",
                "headers=[Authorization:\"OAuth2 ****\", Accept:\"*/*\"]",
                "calling with bearer ****",
                "Character decoding failed. Parameter [password] with value [****] has been ignored. Note that the name and "
                        + "value quoted here may be corrupted",
                "Exception encountered during context initialization: Uri should not contain query parameters (uri: "
                        + "servlett:/iterable?Password=****&apiKey=****&chunked=false)  in file:/routes/x.camel.yaml, line 4",
                "endpoints: x:a?token=****&n=1 y:b?secret=**** y:c?apiKey=****&passphrase=****");
        assertThat(log.list.get(5).getThrowableProxy().getMessage()).isEqualTo("boom");
        assertThat(log.list.get(0).getLevel()).isEqualTo(Level.DEBUG);
        assertThat(log.list.get(0).getLoggerName()).isEqualTo("org.apache.hc.client5.http.headers");
        assertThat(context.getLogger("org.apache.hc.client5.http.wire").isTraceEnabled()).as("HttpClient skips the wire log").isFalse();
    }

    @Test
    void aCredentialInALoggedThrowableIsMaskedWithItsCausesTheStackTraceKept() {
        LoggerContext context = new LoggerContext();
        CredentialLogFilter.install(context);
        ListAppender<ILoggingEvent> log = appender(context);
        // what Tomcat logs for a header line with a control character in it: the line, in the exception
        IllegalArgumentException thrown = new IllegalArgumentException("The HTTP header line [authorization:OAuth2 " + KEY
                + "0x01] does not conform to RFC 7230", new IllegalStateException("sent Api-Key: " + KEY));
        thrown.addSuppressed(new IllegalStateException("Authorization: Basic " + BASIC));

        context.getLogger("org.apache.coyote.http11.Http11Processor").info("Error parsing HTTP request header", thrown);
        context.getLogger("io.bridge").warn("nothing secret", new IllegalStateException("boom", new RuntimeException("inner")));

        IThrowableProxy logged = log.list.get(0).getThrowableProxy();
        assertThat(log.list.get(0).getFormattedMessage()).isEqualTo("Error parsing HTTP request header");
        assertThat(logged.getClassName()).isEqualTo(CredentialLogFilter.Masked.class.getName());
        assertThat(logged.getMessage()).isEqualTo("java.lang.IllegalArgumentException: The HTTP header line [authorization:OAuth2 ****");
        assertThat(logged.getStackTraceElementProxyArray()[0].getStackTraceElement()).isEqualTo(thrown.getStackTrace()[0]);
        assertThat(logged.getCause().getMessage()).isEqualTo("java.lang.IllegalStateException: sent Api-Key: ****");
        assertThat(logged.getSuppressed()[0].getMessage()).isEqualTo("java.lang.IllegalStateException: Authorization: Basic ****");
        IThrowableProxy untouched = log.list.get(1).getThrowableProxy();
        Throwable deep = new IllegalStateException("Authorization: Bearer " + KEY);
        for (int i = 0; i < 30; i++) {
            deep = new IllegalStateException("level " + i, deep);
        }
        context.getLogger("io.bridge").warn("deep", deep);
        StringBuilder chain = new StringBuilder();
        for (IThrowableProxy p = log.list.get(2).getThrowableProxy(); p != null; p = p.getCause()) {
            chain.append(p.getMessage()).append('\n');
        }
        assertThat(chain).as("a chain too deep to look through is cut, not written unread").doesNotContain(KEY).contains("level 29");
        assertThat(untouched.getClassName()).as("a throwable without a credential is logged as it is")
                .isEqualTo(IllegalStateException.class.getName());
        assertThat(untouched.getCause().getMessage()).isEqualTo("inner");
    }

    @Test
    void aLogbackResetKeepsTheFilter() {
        LoggerContext context = new LoggerContext();
        CredentialLogFilter.install(context);
        context.reset();
        ListAppender<ILoggingEvent> log = appender(context);

        context.getLogger("org.apache.hc.client5.http.headers").debug("{} >> {}", "http-outgoing-0", "Api-Key: " + KEY);

        assertThat(log.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly("http-outgoing-0 >> Api-Key: ****");
    }

    private static ListAppender<ILoggingEvent> appender(LoggerContext context) {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.setContext(context);
        appender.start();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.TRACE);
        root.addAppender(appender);
        return appender;
    }
}
