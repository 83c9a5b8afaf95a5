package io.bridge.webhooks;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Camel's servlet binding parses an {@code application/x-www-form-urlencoded} body into headers
 * before any route step runs, and answers 500 when the body is not key=value pairs (a JSON body
 * sent with curl's default type, say). Webhooks take JSON only, so for them this filter hides the
 * form type from the binding: the body reaches the route untouched, and the route answers 415 with
 * the payload kept, like any other wrong content type. The Content-Type header itself is unchanged.
 */
@Configuration(proxyBeanMethods = false)
class FormBodyGuard {

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> webhookFormBodyGuard() {
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                String type = request.getContentType();
                boolean form = type != null && type.toLowerCase().startsWith("application/x-www-form-urlencoded");
                chain.doFilter(form ? new HttpServletRequestWrapper(request) {
                    @Override
                    public String getContentType() {
                        return null;
                    }
                } : request, response);
            }
        });
        registration.addUrlPatterns("/webhooks/*");
        return registration;
    }
}
