package io.bridge.http;

import io.bridge.webhooks.IterableWebhookProperties;
import java.time.Duration;
import org.apache.camel.CamelContext;
import org.apache.catalina.Pipeline;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.security.SecurityProperties;
import org.springframework.boot.autoconfigure.web.ServerProperties;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Puts {@link HttpEdgeFilter} right behind Spring Security on the webhooks and the API, and sets up
 * Tomcat's side of the edge.
 */
@Configuration(proxyBeanMethods = false)
class HttpEdgeConfiguration {

    /**
     * Tomcat's answer to a request that never reached the application is JSON ({@link
     * JsonErrorReportValve}, in place of the HTML one Spring Boot puts on the host). A client that
     * asks before sending its body ({@code Expect: 100-continue}) is told to go on only when the
     * bridge reads the body, after authentication: a refused one gets its 401 without uploading.
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> tomcatEdge() {
        return factory -> {
            factory.addContextCustomizers(context -> {
                Pipeline host = context.getParent().getPipeline();
                for (Valve valve : host.getValves()) {
                    if (valve instanceof ErrorReportValve) {
                        host.removeValve(valve);
                    }
                }
                host.addValve(new JsonErrorReportValve());
                if (context.getParent() instanceof StandardHost standardHost) { // so the host adds no HTML one of its own
                    standardHost.setErrorReportValveClass(JsonErrorReportValve.class.getName());
                }
            });
            factory.addConnectorCustomizers(connector -> connector.setProperty("continueResponseTiming", "onRead"));
        };
    }

    @Bean
    FilterRegistrationBean<HttpEdgeFilter> httpEdgeFilter(ObjectProvider<CamelContext> camel, HttpEdgeProperties api,
            IterableWebhookProperties webhooks, io.bridge.mixpanel.MixpanelWebhookProperties mixpanel, ServerProperties server) {
        // unset: Tomcat's own connector default, 60 s
        Duration bodyTimeout = server.getTomcat().getConnectionTimeout() == null ? Duration.ofSeconds(60)
                : server.getTomcat().getConnectionTimeout();
        FilterRegistrationBean<HttpEdgeFilter> registration = new FilterRegistrationBean<>(
                new HttpEdgeFilter(camel, api, webhooks, mixpanel, bodyTimeout));
        registration.addUrlPatterns("/webhooks/*", "/api/*");
        registration.setOrder(SecurityProperties.DEFAULT_FILTER_ORDER + 1);
        return registration;
    }
}
