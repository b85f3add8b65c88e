/*
 * dedup.c -- wire-copy duplicates: exact and near-duplicate stories
 * grouped as they are indexed.
 *
 * Wires re-send a story with a new lede, a paragraph added or dropped, a
 * new headline, or carry another feed's copy of it.  Such copies are found
 * the way Broder found them on the web ("On the resemblance and
 * containment of documents", 1997): a story is the set of its word
 * 5-shingles (every run of five words of its paragraphs, the headline and
 * the dateline left out, so a new headline or another feed's dateline does
 * not count), and two stories resemble each other by the Jaccard
 * similarity of their sets, estimated with MinHash: the share of
 * NGI_DUP_HASHES min-wise hashes on which the two signatures agree.  The
 * hashes are one 64-bit hash of each shingle put through NGI_DUP_HASHES
 * multiply-shift functions (a_k x + b_k) >> 32 with odd random a_k.
 *
 * Candidates are found without comparing a new story with every other, by
 * LSH banding as in Leskovec, Rajaraman and Ullman, "Mining of Massive
 * Datasets", ch. 3.4: the signature is cut into NGI_DUP_BANDS bands of
 * NGI_DUP_ROWS values, and two stories that agree on a whole band are
 * candidates, with probability 1 - (1 - s^r)^b for similarity s: with
 * b = 20 and r = 3, 0.93 at s = 0.5, 0.99 at s = 0.6 and 0.42 at s = 0.3.
 * Each candidate is verified on the whole signature: a copy when the
 * estimated similarity is at least COPY_JACCARD, or when the smaller story
 * is mostly contained in the larger (Broder's containment, estimated from
 * the similarity and the two sets' sizes) and the similarity at least
 * CONTAINED_JACCARD (a story re-sent with several paragraphs added).
 *
 * Groups.  Each group keeps its first-seen member: a new story that is a
 * copy of an indexed one joins that one's group (doc.dup_of = the group's
 * first member's id; NULL for a first member and for a story without
 * copies).  A story that resembles members of two groups joins the group
 * of its most similar candidate; groups are never merged.  When a group's
 * first member is removed, or changed (a changed story is taken out of its
 * group and grouped again as if new), the oldest remaining member (the
 * smallest id) becomes the first member and the others point to it.
 *
 * Incremental and kill-safe: the signature (dup_sig) and band keys
 * (dup_band) of each story are rows written by store.c in the same
 * transaction as the story's document and passages, so a run adds to the
 * groups with one indexed lookup of its bands per story, and a kill leaves
 * a story and its group entry together or not at all.  The signature is
 * computed on the indexing worker (pipeline.c); the writer only looks up
 * and stores.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SHINGLE_WORDS 5
#define COPY_JACCARD 0.6
#define CONTAINED_JACCARD 0.3
#define CONTAINED 0.8

/* The multiply-shift functions: a_k odd, b_k any; made from splitmix64 once
 * (fixed: a signature stored by one run is compared by the next). */
static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

static void hash_params(uint64_t a[NGI_DUP_HASHES], uint64_t b[NGI_DUP_HASHES]) {
  uint64_t s = 0x6E75746772616600ULL; /* "nutgraf" */
  for (int k = 0; k < NGI_DUP_HASHES; k++) {
    s += 0x9E3779B97F4A7C15ULL;
    a[k] = mix64(s) | 1;
    s += 0x9E3779B97F4A7C15ULL;
    b[k] = mix64(s);
  }
}

typedef struct shingler {
  uint64_t ring[SHINGLE_WORDS];
  size_t words;
  uint64_t a[NGI_DUP_HASHES], b[NGI_DUP_HASHES];
  ngi_dup_sig *sig;
} shingler;

static void add_shingle(shingler *sh, uint64_t x) {
  x = mix64(x);
  for (int k = 0; k < NGI_DUP_HASHES; k++) {
    uint32_t v = (uint32_t)((sh->a[k] * x + sh->b[k]) >> 32);
    if (v < sh->sig->min[k]) sh->sig->min[k] = v;
  }
  sh->sig->shingles++;
}

/* The hash of the shingle that ends with the word just added. */
static uint64_t shingle_hash(const shingler *sh, size_t n) {
  uint64_t h = 0;
  for (size_t i = 0; i < n; i++) h = h * 0x100000001B3ULL + sh->ring[(sh->words - n + i) % SHINGLE_WORDS];
  return h;
}

/* Words: runs of ASCII letters and digits (folded to lower case) and of
 * bytes past ASCII; everything else separates them. */
static void add_words(shingler *sh, const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    while (i < n && !((unsigned char)s[i] >= 0x80 || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
                      (s[i] >= 'A' && s[i] <= 'Z')))
      i++;
    if (i >= n) break;
    uint64_t h = 0xCBF29CE484222325ULL; /* FNV-1a */
    while (i < n && ((unsigned char)s[i] >= 0x80 || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
                     (s[i] >= 'A' && s[i] <= 'Z'))) {
      unsigned char c = (unsigned char)s[i++];
      if (c >= 'A' && c <= 'Z') c += 32;
      h = (h ^ c) * 0x100000001B3ULL;
    }
    sh->ring[sh->words % SHINGLE_WORDS] = h;
    sh->words++;
    if (sh->words >= SHINGLE_WORDS) add_shingle(sh, shingle_hash(sh, SHINGLE_WORDS));
  }
}

/* Where the lede's text starts after its dateline ("HOUSTON, Feb 26 - "):
 * past the first dash in its first 100 bytes. */
static size_t after_dateline(const char *s, size_t n) {
  size_t limit = n < 100 ? n : 100;
  for (size_t i = 0; i + 1 < limit; i++) {
    size_t k = 0;
    if (s[i] == '-' && (i + 1 >= n || s[i + 1] == ' ' || s[i + 1] == '-'))
      k = 1;
    else if ((unsigned char)s[i] == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
             ((unsigned char)s[i + 2] == 0x94 || (unsigned char)s[i + 2] == 0x93))
      k = 3;
    if (k) return i + k;
  }
  return 0;
}

int ngi_dup_signature(const article *a, ngi_dup_sig *out) {
  shingler sh;
  memset(&sh, 0, sizeof sh);
  hash_params(sh.a, sh.b);
  for (int k = 0; k < NGI_DUP_HASHES; k++) out->min[k] = UINT32_MAX;
  out->shingles = 0;
  sh.sig = out;
  int lede = 1;
  for (size_t i = 0; i < a->npassages; i++) {
    if (a->passages[i].kind != NG_KIND_PARAGRAPH) continue;
    const char *t = ngi_article_text(a, i);
    size_t n = a->passages[i].len, skip = lede && a->dateline ? after_dateline(t, n) : 0;
    lede = 0;
    add_words(&sh, t + skip, n - skip);
  }
  /* A story shorter than a shingle is one shingle of all its words. */
  if (sh.words > 0 && sh.words < SHINGLE_WORDS) add_shingle(&sh, shingle_hash(&sh, sh.words));
  return out->shingles > 0;
}

void ngi_dup_bands(const ngi_dup_sig *s, long long keys[NGI_DUP_BANDS]) {
  for (int j = 0; j < NGI_DUP_BANDS; j++) {
    uint64_t h = mix64((uint64_t)j + 1);
    for (int r = 0; r < NGI_DUP_ROWS; r++) h = mix64(h ^ s->min[j * NGI_DUP_ROWS + r]);
    keys[j] = (long long)h;
  }
}

double ngi_dup_similarity(const ngi_dup_sig *a, const ngi_dup_sig *b, double *containment) {
  int same = 0;
  for (int k = 0; k < NGI_DUP_HASHES; k++) same += a->min[k] == b->min[k];
  double j = (double)same / NGI_DUP_HASHES;
  if (containment) {
    /* |A and B| = J (|A| + |B|) / (1 + J), over the smaller set. */
    double na = a->shingles, nb = b->shingles;
    double inter = j * (na + nb) / (1.0 + j);
    double c = inter / (na < nb ? na : nb);
    *containment = c > 1.0 ? 1.0 : c;
  }
  return j;
}

int ngi_dup_is_copy(const ngi_dup_sig *a, const ngi_dup_sig *b) {
  double c;
  double j = ngi_dup_similarity(a, b, &c);
  return j >= COPY_JACCARD || (j >= CONTAINED_JACCARD && c >= CONTAINED);
}

/* ------------------------------------------------------------------ */
/* The writer's half: groups in the index */

typedef struct best_match {
  const ngi_dup_sig *sig;
  double similarity;
  long long root; /* the best candidate's group: its first member */
} best_match;

static void consider(void *ctx, long long doc, long long dup_of, const ngi_dup_sig *other) {
  best_match *m = ctx;
  if (!ngi_dup_is_copy(m->sig, other)) return;
  double s = ngi_dup_similarity(m->sig, other, NULL);
  long long root = dup_of ? dup_of : doc;
  if (s > m->similarity || (s == m->similarity && root < m->root)) {
    m->similarity = s;
    m->root = root;
  }
}

int ngi_dup_add(ng_index *idx, long long doc, const ngi_dup_sig *sig) {
  long long keys[NGI_DUP_BANDS];
  ngi_dup_bands(sig, keys);
  best_match m = {sig, -1.0, 0};
  int rc = ngi_store_dup_candidates(idx, keys, NGI_DUP_BANDS, doc, consider, &m);
  if (rc == NG_OK && m.root) rc = ngi_store_set_dup_of(idx, doc, m.root);
  if (rc == NG_OK) rc = ngi_store_dup_put(idx, doc, sig, keys, NGI_DUP_BANDS);
  return rc;
}

int ngi_dup_remove(ng_index *idx, long long doc) {
  ngi_dup_sig sig;
  int found = ngi_store_dup_get(idx, doc, &sig);
  if (found < 0) return found;
  int rc = NG_OK;
  if (found) {
    long long keys[NGI_DUP_BANDS];
    ngi_dup_bands(&sig, keys);
    rc = ngi_store_dup_delete(idx, doc, keys, NGI_DUP_BANDS);
  }
  if (rc == NG_OK) rc = ngi_store_dup_hand_over(idx, doc);
  if (rc == NG_OK) rc = ngi_store_set_dup_of(idx, doc, 0);
  return rc;
}

void ngi_dup_encode(const ngi_dup_sig *s, unsigned char out[NGI_DUP_BYTES]) {
  uint32_t v[NGI_DUP_HASHES + 1];
  v[0] = s->shingles;
  memcpy(v + 1, s->min, sizeof s->min);
  for (int i = 0; i <= NGI_DUP_HASHES; i++) {
    out[4 * i] = (unsigned char)v[i];
    out[4 * i + 1] = (unsigned char)(v[i] >> 8);
    out[4 * i + 2] = (unsigned char)(v[i] >> 16);
    out[4 * i + 3] = (unsigned char)(v[i] >> 24);
  }
}

int ngi_dup_decode(const void *data, size_t n, ngi_dup_sig *s) {
  const unsigned char *p = data;
  if (n != NGI_DUP_BYTES) return -1;
  uint32_t v[NGI_DUP_HASHES + 1];
  for (int i = 0; i <= NGI_DUP_HASHES; i++)
    v[i] =
        (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
  s->shingles = v[0];
  memcpy(s->min, v + 1, sizeof s->min);
  return 0;
}
