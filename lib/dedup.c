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
 * similarity of their sets, estimated with MinHash: the share of the
 * NGI_DUP_HASHES values of their signatures that agree.  The values are
 * made by one permutation hashing (Li, Owen and Zhang, NIPS 2012): one
 * 64-bit hash per shingle, whose high bits choose one of NGI_DUP_HASHES
 * bins and whose low 32 bits compete for that bin's minimum -- as good an
 * estimate as NGI_DUP_HASHES independent hash functions, at the cost of
 * one (60 of them took half the indexing worker's time on BBC); the bins
 * a short story leaves empty are filled from their right neighbours
 * (Shrivastava and Li's densification, ICML 2014).
 *
 * Candidates are found without comparing a new story with every other, by
 * LSH banding as in Leskovec, Rajaraman and Ullman, "Mining of Massive
 * Datasets", ch. 3.4: NGI_DUP_BANDS bands of NGI_DUP_ROWS values are cut
 * from the signature, and two stories that agree on a whole band are
 * candidates, with probability 1 - (1 - s^r)^b for similarity s: with
 * b = 10 and r = 2, 0.94 at s = 0.5, 0.99 at s = 0.6 and 0.61 at s = 0.3
 * (b = 20 and r = 3 gave the same groups on BBC with twice the band rows,
 * which cost the writer more than the extra candidates' checks do).
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

static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

typedef struct shingler {
  uint64_t ring[SHINGLE_WORDS];
  size_t words;
  ngi_dup_sig *sig;
} shingler;

/* One permutation: the shingle's hash picks its bin by its high bits and
 * competes there with its low 32 bits. */
static void add_shingle(shingler *sh, uint64_t x) {
  x = mix64(x);
  uint32_t bin = (uint32_t)(((x >> 32) * NGI_DUP_HASHES) >> 32);
  uint32_t v = (uint32_t)x;
  if (v < sh->sig->min[bin]) sh->sig->min[bin] = v;
  sh->sig->shingles++;
}

/* Empty bins (a short story) take the value of the next bin to their
 * right that has one, mixed with the distance (rotation densification):
 * two stories with the same values get the same filled bins. */
static void densify(ngi_dup_sig *s, const unsigned char *filled) {
  for (int j = 0; j < NGI_DUP_HASHES; j++) {
    if (filled[j]) continue;
    for (int d = 1; d < NGI_DUP_HASHES; d++) {
      int k = (j + d) % NGI_DUP_HASHES;
      if (filled[k]) {
        s->min[j] = (uint32_t)mix64(((uint64_t)s->min[k] << 8) ^ (uint64_t)d);
        break;
      }
    }
  }
}

/* The hash of the last n words (the ring holds the last SHINGLE_WORDS, the
 * newest at the end). */
static uint64_t shingle_hash(const shingler *sh, size_t n) {
  uint64_t h = 0;
  for (size_t i = SHINGLE_WORDS - n; i < SHINGLE_WORDS; i++) h = h * 0x100000001B3ULL + sh->ring[i];
  return h;
}

/* A byte of a word folded to lower case (ASCII letters and digits, and
 * every byte past ASCII), or 0 for a separator. */
static inline unsigned char word_byte(unsigned char c) {
  if (c >= 0x80 || (unsigned char)(c - '0') < 10) return c;
  unsigned char l = c | 32;
  return (unsigned char)(l - 'a') < 26 ? l : 0;
}

/* Words: runs of ASCII letters and digits (folded to lower case) and of
 * bytes past ASCII; everything else separates them. */
static void add_words(shingler *sh, const char *text, size_t n) {
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0;
  while (i < n) {
    while (i < n && !word_byte(s[i])) i++;
    if (i >= n) break;
    uint64_t h = 0xCBF29CE484222325ULL; /* FNV-1a */
    for (unsigned char c; i < n && (c = word_byte(s[i])) != 0; i++) h = (h ^ c) * 0x100000001B3ULL;
    for (int k = 0; k + 1 < SHINGLE_WORDS; k++) sh->ring[k] = sh->ring[k + 1];
    sh->ring[SHINGLE_WORDS - 1] = h;
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
  if (out->shingles == 0) return 0;
  if (out->shingles < 4 * NGI_DUP_HASHES) {
    /* A bin no shingle reached still holds UINT32_MAX; a shingle may have
     * put that very value in one, which changes nothing. */
    unsigned char filled[NGI_DUP_HASHES];
    for (int k = 0; k < NGI_DUP_HASHES; k++) filled[k] = out->min[k] != UINT32_MAX;
    densify(out, filled);
  }
  return 1;
}

void ngi_dup_bands(const ngi_dup_sig *s, long long keys[NGI_DUP_BANDS]) {
  for (int j = 0; j < NGI_DUP_BANDS; j++) {
    uint64_t h = mix64((uint64_t)j + 1);
    for (int r = 0; r < NGI_DUP_ROWS; r++) h = mix64(h ^ s->min[j * NGI_DUP_ROWS + r]);
    keys[j] = (long long)h;
  }
}

double ngi_dup_similarity(const ngi_dup_sig *a, const ngi_dup_sig *b, double *containment) {
  /* The band rows' values are whole; of the others only the low 8 bits
   * are stored, which also agree by chance (1 in 256) when the values do
   * not: their share is corrected for that (Li and Koenig 2010). */
  int same = 0, same8 = 0;
  for (int k = 0; k < NGI_DUP_FULL; k++) same += a->min[k] == b->min[k];
  for (int k = NGI_DUP_FULL; k < NGI_DUP_HASHES; k++) same8 += (a->min[k] & 0xFF) == (b->min[k] & 0xFF);
  double p8 = (double)same8 / (NGI_DUP_HASHES - NGI_DUP_FULL), chance = 1.0 / 256;
  double j8 = (p8 - chance) / (1 - chance);
  if (j8 < 0) j8 = 0;
  double j = ((double)same + j8 * (NGI_DUP_HASHES - NGI_DUP_FULL)) / NGI_DUP_HASHES;
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
  if (rc == NG_OK) rc = ngi_store_dup_put(idx, doc, m.root, sig, keys, NGI_DUP_BANDS);
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

static void put32(unsigned char *out, uint32_t v) {
  out[0] = (unsigned char)v;
  out[1] = (unsigned char)(v >> 8);
  out[2] = (unsigned char)(v >> 16);
  out[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void ngi_dup_encode(const ngi_dup_sig *s, unsigned char out[NGI_DUP_BYTES]) {
  put32(out, s->shingles);
  for (int k = 0; k < NGI_DUP_FULL; k++) put32(out + 4 + 4 * k, s->min[k]);
  for (int k = NGI_DUP_FULL; k < NGI_DUP_HASHES; k++)
    out[4 + 4 * NGI_DUP_FULL + (k - NGI_DUP_FULL)] = (unsigned char)s->min[k];
}

int ngi_dup_decode(const void *data, size_t n, ngi_dup_sig *s) {
  const unsigned char *p = data;
  if (n != NGI_DUP_BYTES) return -1;
  s->shingles = get32(p);
  for (int k = 0; k < NGI_DUP_FULL; k++) s->min[k] = get32(p + 4 + 4 * k);
  for (int k = NGI_DUP_FULL; k < NGI_DUP_HASHES; k++) s->min[k] = p[4 + 4 * NGI_DUP_FULL + (k - NGI_DUP_FULL)];
  return 0;
}
