package io.bridge.http;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.web.servlet.error.ErrorController;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Answers what no route handles (an unknown path, a method an endpoint does not take) in the same
 * JSON as the routes, instead of Spring Boot's error page. Nothing of the request is echoed.
 */
@RestController
class JsonErrors implements ErrorController {

    @RequestMapping("/error")
    void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer i ? i : 404; // asked for directly: there is no such endpoint
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        if ((status == 404 || status == 503) && uri instanceof String path && HttpEdgeFilter.WEBHOOKS.contains(path)) {
            // Camel's servlet found the webhook's route stopped (a route file being reloaded, the bridge
            // stopping): nothing was stored, and Iterable gives up on a 404 but retries a 503
            response.setHeader("Retry-After", "5");
            Problems.write(response, 503, "unavailable", "the webhook's route is not running right now: nothing was stored; "
                    + "retry in a few seconds");
            return;
        }
        switch (status) {
            case 404 -> Problems.write(response, 404, "not_found", "no endpoint at this path: the README lists the bridge's API");
            case 405 -> Problems.write(response, 405, "method_not_allowed",
                    "this endpoint does not take that method: the Allow header names those it takes");
            case 413 -> Problems.write(response, 413, "payload_too_large", "the request body is too large");
            case 415 -> Problems.write(response, 415, "unsupported_media_type", "send Content-Type: application/json");
            case 503 -> Problems.write(response, 503, "unavailable", "the bridge cannot take requests right now; retry later");
            default -> Problems.writeGeneric(response, status);
        }
    }
}
