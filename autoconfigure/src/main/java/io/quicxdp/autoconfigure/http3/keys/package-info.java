/**
 * Keys that every instance of an HTTP/3 service shares (session tickets, Retry tokens, stateless resets), read
 * from files and read again when the files change, so that a fleet resumes, validates and resets across its
 * instances and rotates its keys without a restart.
 */
@NullMarked
package io.quicxdp.autoconfigure.http3.keys;

import org.jspecify.annotations.NullMarked;
