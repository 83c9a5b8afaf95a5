package io.bridge.webhooks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.springframework.stereotype.Component;

/**
 * Turns the bytes of one webhook delivery into the JSON text to parse, or refuses them with a
 * {@link RejectedWebhookException} that keeps what arrived:
 * <ul>
 * <li>more than {@code max-payload-bytes} (as sent, or once inflated): 413, the first
 * {@value #KEPT_OF_OVERSIZE} bytes kept;</li>
 * <li>{@code Content-Encoding}: none, {@code identity} or {@code gzip} (inflated here, never past
 * {@code max-payload-bytes}, so a small "gzip bomb" cannot fill the memory); anything else 415;
 * a body that is not the gzip it claims to be, or has bytes after its gzip data, 400;</li>
 * <li>{@code Content-Type}: {@code application/json} or {@code application/*+json}, with no charset
 * or {@code charset=utf-8}; anything else 415;</li>
 * <li>bytes that are not valid UTF-8 (checked strictly, never replaced): 400, kept base64-encoded.</li>
 * </ul>
 */
@Component("iterableWebhookBody")
public class IterableWebhookBody {

    /** How much of an oversized body is kept in rejected_webhooks. */
    static final int KEPT_OF_OVERSIZE = 64 * 1024;
    /** Exchange property: the delivery's text, kept in rejected_webhooks should a later step refuse it. */
    public static final String PAYLOAD = "webhookPayload";
    /** Exchange property: the delivery's Content-Encoding (the route drops the header, which would compress the answer). */
    public static final String CONTENT_ENCODING = "webhookContentEncoding";

    private final int maxPayloadBytes;

    public IterableWebhookBody(IterableWebhookProperties props) {
        this.maxPayloadBytes = props.maxPayloadBytes();
    }

    /** The delivery as JSON text; also left in the exchange property {@value #PAYLOAD}. */
    public String decode(@Body InputStream body, @Header("Content-Type") String contentType,
            @ExchangeProperty(CONTENT_ENCODING) String contentEncoding, Exchange exchange) throws IOException {
        String text;
        try {
            text = read(body, contentType, contentEncoding);
        } catch (RejectedWebhookException e) {
            throw e.sentAs(contentType);
        }
        exchange.setProperty(PAYLOAD, text);
        // the text is decoded: no later conversion may apply the charset the sender named
        exchange.removeProperty(Exchange.CHARSET_NAME);
        return text;
    }

    private String read(InputStream body, String contentType, String contentEncoding) throws IOException {
        byte[] bytes = body == null ? new byte[0] : body.readNBytes(maxPayloadBytes + 1);
        if (bytes.length > maxPayloadBytes) {
            throw new RejectedWebhookException(413, "payload is larger than " + maxPayloadBytes
                    + " bytes (bridge.webhooks.iterable.max-payload-bytes): send fewer events per delivery, or smaller ones (first "
                    + KEPT_OF_OVERSIZE + " bytes kept)",
                    KeptPayload.head(bytes, KEPT_OF_OVERSIZE, "first " + KEPT_OF_OVERSIZE + " bytes kept"));
        }
        String coding = contentEncoding == null ? "" : contentEncoding.trim().toLowerCase(Locale.ROOT);
        boolean gzip = coding.equals("gzip") || coding.equals("x-gzip");
        if (!gzip && !coding.isEmpty() && !coding.equals("identity")) {
            throw new RejectedWebhookException(415, "Content-Encoding " + SafeText.quote(contentEncoding)
                    + " is not supported: send the body uncompressed or with Content-Encoding: gzip", bytes);
        }
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json") && !(mediaType.startsWith("application/") && mediaType.endsWith("+json"))) {
            throw new RejectedWebhookException(415, "Content-Type must be application/json, got "
                    + (contentType == null ? "none" : SafeText.quote(contentType)), bytes);
        }
        String charset = charset(contentType);
        if (charset != null && !isUtf8(charset)) {
            throw new RejectedWebhookException(415, "charset " + SafeText.quote(charset)
                    + " is not supported: send JSON as UTF-8, with Content-Type: application/json or application/json; charset=utf-8",
                    bytes);
        }
        if (gzip) {
            bytes = gunzip(bytes);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (MalformedInputException e) {
            throw new RejectedWebhookException(400, "body is not valid UTF-8 (" + e.getInputLength()
                    + " malformed byte(s)): JSON must be sent as UTF-8", bytes);
        } catch (CharacterCodingException e) {
            throw new RejectedWebhookException(400, "body is not valid UTF-8: JSON must be sent as UTF-8", bytes);
        }
    }

    /**
     * The body inflated, at most max-payload-bytes of it. Gzip members one after the other (RFC 1952;
     * what {@code cat a.gz b.gz} makes) are one body, their contents joined; anything else after the
     * gzip data is refused (GZIPInputStream would drop it without a word), and so is a member whose
     * CRC or length does not match.
     */
    private byte[] gunzip(byte[] compressed) {
        ByteArrayOutputStream inflated = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        Inflater inflater = new Inflater(true);
        try {
            int at = 0;
            do {
                if (compressed.length - at < 2 || compressed[at] != (byte) 0x1f || compressed[at + 1] != (byte) 0x8b) {
                    throw notGzip(compressed, at == 0 ? "it does not start with the gzip magic bytes 1f 8b"
                            : (compressed.length - at) + " trailing bytes after the gzip data");
                }
                inflater.reset();
                at = afterHeader(compressed, at);
                inflater.setInput(compressed, at, compressed.length - at);
                CRC32 crc = new CRC32();
                while (!inflater.finished()) {
                    int n = inflater.inflate(buffer);
                    if (n == 0 && !inflater.finished()) {
                        throw notGzip(compressed, "it ends inside the compressed data");
                    }
                    crc.update(buffer, 0, n);
                    inflated.write(buffer, 0, n);
                    if (inflated.size() > maxPayloadBytes) {
                        throw new RejectedWebhookException(413, "gzip body inflates to more than " + maxPayloadBytes
                                + " bytes (bridge.webhooks.iterable.max-payload-bytes): send fewer events per delivery, "
                                + "or smaller ones (first " + KEPT_OF_OVERSIZE + " inflated bytes kept)",
                                KeptPayload.head(inflated.toByteArray(), KEPT_OF_OVERSIZE,
                                        "first " + KEPT_OF_OVERSIZE + " inflated bytes kept"));
                    }
                }
                at = compressed.length - inflater.getRemaining();
                if (compressed.length - at < 8) {
                    throw notGzip(compressed, "it ends inside a gzip trailer");
                }
                if (littleEndian(compressed, at) != (int) crc.getValue()
                        || littleEndian(compressed, at + 4) != (int) inflater.getBytesWritten()) { // ISIZE: the length mod 2^32
                    throw notGzip(compressed, "the CRC or the length in a gzip trailer does not match the data");
                }
                at += 8;
            } while (at < compressed.length);
        } catch (DataFormatException e) {
            throw notGzip(compressed, "its compressed data is corrupt");
        } finally {
            inflater.end();
        }
        return inflated.toByteArray();
    }

    /** Where a gzip member's compressed data starts, past its header (RFC 1952, 2.3). */
    private static int afterHeader(byte[] gzip, int member) {
        if (gzip.length - member < 10) {
            throw notGzip(gzip, "it ends inside a gzip header");
        }
        if (gzip[member + 2] != 8) {
            throw notGzip(gzip, "its compression method is not deflate");
        }
        int flags = gzip[member + 3] & 0xff;
        if ((flags & 0xe0) != 0) {
            throw notGzip(gzip, "its gzip header sets reserved flags");
        }
        int at = member + 10;
        if ((flags & 4) != 0) { // FEXTRA: a length, then that many bytes
            at = at + 2 > gzip.length ? gzip.length + 1 : at + 2 + ((gzip[at] & 0xff) | (gzip[at + 1] & 0xff) << 8);
        }
        for (int zeroTerminated : new int[] {8, 16}) { // FNAME, FCOMMENT
            if ((flags & zeroTerminated) != 0) {
                while (at < gzip.length && gzip[at] != 0) {
                    at++;
                }
                at++;
            }
        }
        if ((flags & 2) != 0) { // FHCRC
            at += 2;
        }
        if (at > gzip.length) {
            throw notGzip(gzip, "it ends inside a gzip header");
        }
        return at;
    }

    private static int littleEndian(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    private static RejectedWebhookException notGzip(byte[] compressed, String why) {
        return new RejectedWebhookException(400, "body is not valid gzip, as its Content-Encoding says: " + why
                + "; send it uncompressed, or as gzip data and nothing else", compressed);
    }

    /** The charset parameter of a Content-Type, unquoted, or null. */
    static String charset(String contentType) {
        if (contentType == null) {
            return null;
        }
        String[] parts = contentType.split(";");
        for (int i = 1; i < parts.length; i++) {
            String[] pair = parts[i].split("=", 2);
            if (pair.length == 2 && pair[0].trim().equalsIgnoreCase("charset")) {
                String value = pair[1].trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return value;
            }
        }
        return null;
    }

    private static boolean isUtf8(String charset) {
        try {
            return Charset.isSupported(charset) && Charset.forName(charset).equals(StandardCharsets.UTF_8);
        } catch (IllegalCharsetNameException e) {
            return false;
        }
    }
}
