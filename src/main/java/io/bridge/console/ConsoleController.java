package io.bridge.console;

import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * The admin's console at {@code /}: one page that reads and changes the bridge through the same JSON
 * API as scripts (console.js), with the browser's session and its CSRF token. The page shows controls
 * to ADMIN only; the API refuses a VIEWER's change whatever the page shows.
 */
@Controller
class ConsoleController {

    @GetMapping("/")
    String console(Authentication user, Model model) {
        model.addAttribute("user", user.getName());
        model.addAttribute("admin", user.getAuthorities().stream().anyMatch(role -> role.getAuthority().equals("ROLE_ADMIN")));
        return "console";
    }

    /** Swagger UI over {@code GET /api/openapi.json} ({@link ApiDocsResources} serves its files). */
    @GetMapping("/api/docs")
    String apiDocs() {
        return "api-docs";
    }

    @GetMapping("/login")
    String signIn() {
        return "login";
    }
}
