/*
 * decode.c -- bytes as they come off disk -> the clean UTF-8 the index stores.
 *
 * Reading: a file is read whole, within a size limit that also holds for a
 * file growing while it is read.  Decoding rules, in order: a UTF-32 or UTF-16 byte-order mark selects that
 * encoding (converted with iconv, so lone surrogates are refused); a UTF-8
 * BOM is dropped; any other NUL byte makes the input binary; valid UTF-8 is
 * taken as it is; anything else is converted from the fallback encoding
 * (Windows-1252 unless the caller says otherwise), and when the fallback
 * cannot map a byte (cp1252 leaves five unassigned) from ISO-8859-1, which
 * maps every byte.  The result always has LF line ends and no control
 * characters but tab and LF, so stored text is safe to print on a terminal
 * and the snippet markers (\x01, \x02) never occur in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int ngi_read_file(const char *path, long long limit, char **data, size_t *len, struct stat *st) {
  *data = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return errno;
  int err = 0;
  if (fstat(fd, st) != 0) {
    err = errno;
  } else if (!S_ISREG(st->st_mode)) {
    err = EINVAL;
  } else if (st->st_size > limit) {
    err = EFBIG;
  } else {
    size_t cap = (size_t)st->st_size + 1, n = 0;
    char *p = malloc(cap);
    if (!p) err = ENOMEM;
    while (!err) {
      if (n + 1 >= cap) {
        /* The file grew while we read it. */
        if ((long long)cap > limit + 1) {
          err = EFBIG;
          break;
        }
        char *q = realloc(p, cap * 2);
        if (!q) {
          err = ENOMEM;
          break;
        }
        p = q;
        cap *= 2;
      }
      ssize_t r = read(fd, p + n, cap - n - 1);
      if (r < 0) {
        if (errno == EINTR) continue;
        err = errno;
      } else if (r == 0) {
        break;
      } else {
        n += (size_t)r;
      }
    }
    if (err) {
      free(p);
    } else {
      p[n] = '\0';
      *data = p;
      *len = n;
    }
  }
  close(fd);
  return err;
}

int ng_check_encoding(const char *name) { return name && ngi_decode_check_encoding(name) == 0 ? NG_OK : NG_EUSAGE; }

int ngi_decode_check_encoding(const char *name) {
  iconv_t cd = iconv_open("UTF-8", name);
  if (cd == (iconv_t)-1) return -1;
  iconv_close(cd);
  return 0;
}

/* Converts with iconv; 0, -1 (EILSEQ/EINVAL: byte offset in *bad), -2 memory. */
static int convert(const char *from, const char *in, size_t n, buf *out, size_t *bad) {
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == (iconv_t)-1) return -1;
  int rc = 0;
  char *src = (char *)(uintptr_t)in;
  size_t left = n;
  while (left > 0) {
    if (ngi_buf_reserve(out, left * 2 + 16) != 0) {
      rc = -2;
      break;
    }
    char *dst = out->data + out->len;
    size_t room = out->cap - out->len - 1;
    size_t r = iconv(cd, &src, &left, &dst, &room);
    out->len = (size_t)(dst - out->data);
    if (r == (size_t)-1 && errno != E2BIG) {
      *bad = n - left;
      rc = -1;
      break;
    }
  }
  iconv_close(cd);
  if (out->data) out->data[out->len] = '\0';
  return rc;
}

size_t ngi_decode_clean(char *s, size_t n) {
  /* Skip ahead to the first byte that may need work: CR, a control
   * character, DEL, or 0xC2 (which leads the C1 controls). */
  static unsigned char attention[256];
  if (!attention['\r']) {
    for (int c = 0; c < 0x20; c++) attention[c] = c != '\t' && c != '\n';
    attention[0x7F] = attention[0xC2] = 1;
  }
  size_t r = 0;
  while (r < n && !attention[(unsigned char)s[r]]) r++;
  size_t w = r;
  for (; r < n; r++) {
    unsigned char c = (unsigned char)s[r];
    if (c == '\r') {
      s[w++] = '\n';
      if (r + 1 < n && s[r + 1] == '\n') r++;
    } else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
      s[w++] = ' ';
    } else if (c == 0xC2 && r + 1 < n && (unsigned char)s[r + 1] >= 0x80 && (unsigned char)s[r + 1] <= 0x9F) {
      s[w++] = ' '; /* a C1 control character, U+0080..U+009F */
      r++;
    } else {
      s[w++] = (char)c;
    }
  }
  s[w] = '\0';
  return w;
}

int ngi_decode(const char *bytes, size_t n, const char *fallback, decoded *out, char *err, size_t errlen) {
  const unsigned char *u = (const unsigned char *)bytes;
  buf b = {0};
  const char *enc = NULL;
  int rc = NGI_DECODE_OK;
  size_t bad = 0;
  out->text = NULL;
  out->len = 0;
  out->encoding = NULL;

  const char *from = NULL;
  size_t skip = 0;
  if (n >= 4 && u[0] == 0xFF && u[1] == 0xFE && u[2] == 0 && u[3] == 0) {
    from = "UTF-32LE", skip = 4;
  } else if (n >= 4 && u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF) {
    from = "UTF-32BE", skip = 4;
  } else if (n >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
    from = "UTF-16LE", skip = 2;
  } else if (n >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
    from = "UTF-16BE", skip = 2;
  }
  if (from) {
    int c = convert(from, bytes + skip, n - skip, &b, &bad);
    if (c == -2) {
      rc = NGI_DECODE_NOMEM;
    } else if (c == -1) {
      snprintf(err, errlen, "invalid %s at byte %zu", from, bad + skip);
      rc = NGI_DECODE_BAD;
    } else if (memchr(b.data ? b.data : "", '\0', b.len)) {
      snprintf(err, errlen, "binary file (NUL character in %s text)", from);
      rc = NGI_DECODE_BINARY;
    }
    enc = from;
  } else {
    if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) skip = 3;
    if (memchr(bytes, '\0', n)) {
      snprintf(err, errlen, "binary file (contains NUL bytes)");
      rc = NGI_DECODE_BINARY;
    } else if (ngi_utf8_valid_prefix(bytes + skip, n - skip) == n - skip) {
      if (ngi_buf_add(&b, bytes + skip, n - skip) != 0) rc = NGI_DECODE_NOMEM;
      enc = "UTF-8";
    } else {
      const char *fb = fallback ? fallback : "WINDOWS-1252";
      int c = convert(fb, bytes + skip, n - skip, &b, &bad);
      enc = fb;
      if (c == -1) {
        ngi_buf_reset(&b);
        c = convert("ISO-8859-1", bytes + skip, n - skip, &b, &bad);
        enc = "ISO-8859-1";
      }
      if (c == -2) {
        rc = NGI_DECODE_NOMEM;
      } else if (c == -1) {
        snprintf(err, errlen, "cannot convert from %s at byte %zu", fb, bad);
        rc = NGI_DECODE_BAD;
      }
    }
  }
  if (rc == NGI_DECODE_OK && b.oom) rc = NGI_DECODE_NOMEM;
  if (rc != NGI_DECODE_OK) {
    ngi_buf_free(&b);
    if (rc == NGI_DECODE_NOMEM) snprintf(err, errlen, "out of memory");
    return rc;
  }
  /* Converted text can still carry a BOM (U+FEFF) at its start. */
  size_t start = 0;
  if (b.len >= 3 && memcmp(b.data, "\xEF\xBB\xBF", 3) == 0) start = 3;
  if (start) {
    memmove(b.data, b.data + start, b.len - start);
    b.len -= start;
  }
  if (!b.data && ngi_buf_reserve(&b, 0) != 0) {
    snprintf(err, errlen, "out of memory");
    return NGI_DECODE_NOMEM;
  }
  b.len = ngi_decode_clean(b.data, b.len);
  out->text = b.data;
  out->len = b.len;
  out->encoding = enc;
  return NGI_DECODE_OK;
}
