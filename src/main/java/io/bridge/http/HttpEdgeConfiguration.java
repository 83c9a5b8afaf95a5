package io.bridge.http;

import io.bridge.webhooks.IterableWebhookProperties;
import org.apache.camel.CamelContext;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.security.SecurityProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Puts {@link HttpEdgeFilter} right behind Spring Security on the webhooks and the API. */
@Configuration(proxyBeanMethods = false)
class HttpEdgeConfiguration {

    @Bean
    FilterRegistrationBean<HttpEdgeFilter> httpEdgeFilter(ObjectProvider<CamelContext> camel, HttpEdgeProperties api,
            IterableWebhookProperties webhooks, io.bridge.mixpanel.MixpanelWebhookProperties mixpanel) {
        FilterRegistrationBean<HttpEdgeFilter> registration = new FilterRegistrationBean<>(new HttpEdgeFilter(camel, api, webhooks, mixpanel));
        registration.addUrlPatterns("/webhooks/*", "/api/*");
        registration.setOrder(SecurityProperties.DEFAULT_FILTER_ORDER + 1);
        return registration;
    }
}
