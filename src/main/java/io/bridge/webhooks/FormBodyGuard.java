package io.bridge.webhooks;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Keeps the servlet layers from interpreting a webhook body before the route sees its bytes:
 * <ul>
 * <li>Camel's servlet binding parses an {@code application/x-www-form-urlencoded} body into headers
 * (and answers 500 when it is not key=value pairs), Spring's multipart resolver consumes a
 * {@code multipart/*} body into parts (the route then saw an empty body), and a
 * {@code application/x-java-serialized-object} body is refused with a 500. For webhooks,
 * {@link HttpServletRequest#getContentType()} therefore answers null unless the type is JSON: the
 * body reaches the route untouched, and the route answers 415 with what arrived kept.</li>
 * <li>Camel's binding inflates a {@code Content-Encoding: gzip} body, with no limit on the inflated
 * size. It reads the encoding with {@link HttpServletRequest#getHeader}, which answers null here;
 * the route inflates it itself, never past max-payload-bytes ({@link IterableWebhookBody}).</li>
 * </ul>
 * The Content-Type and Content-Encoding headers themselves reach the route unchanged (Camel maps
 * request headers with {@link HttpServletRequest#getHeaders}). WebhookPoisonInputTest fails if a
 * Camel upgrade changes either way of reading them.
 */
@Configuration(proxyBeanMethods = false)
class FormBodyGuard {

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> webhookFormBodyGuard() {
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                chain.doFilter(new HttpServletRequestWrapper(request) {
                    @Override
                    public String getContentType() {
                        String type = super.getContentType();
                        return isJson(type) ? type : null;
                    }

                    @Override
                    public String getHeader(String name) {
                        return "Content-Encoding".equalsIgnoreCase(name) ? null : super.getHeader(name);
                    }
                }, response);
            }
        });
        registration.addUrlPatterns("/webhooks/*");
        return registration;
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
    }
}
