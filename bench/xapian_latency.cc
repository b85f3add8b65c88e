/*
 * bench/xapian_latency.cc -- in-process search latency of Xapian, the peer
 * bench/latency.c cannot link: each query parsed and run the way `quest`
 * runs it, warm, in one process, printed in latency.c's sample format so
 * bench/scale.py and bench/query.py compute the same percentiles for all
 * three engines.
 *
 * It owns one read-only Xapian::Database. The query parser is set up once
 * as quest sets it up: English stemmer, STEM_SOME, quest's stop-word list,
 * the database (for wildcard expansion), the default operator and flags
 * given here (bench/ passes AND and FLAG_DEFAULT | FLAG_WILDCARD, what
 * query.py gives quest as `-o and -f default,wildcard`). Weighting is the
 * Enquire default, BM25. Each timed search is parse_query + a new Enquire +
 * get_mset(0, LIMIT) + reading every hit's document data (what quest
 * prints), so like latency.c's two sides it pays for parsing each time.
 * With -s it also makes a snippet of each hit (MSet::snippet on the stored
 * text), the work nutgraf and the porter query do and quest does not.
 *
 * Build (bench/scale.py and bench/query.py do this for you):
 *   g++ -O2 -o xapian_latency bench/xapian_latency.cc $(pkg-config --cflags --libs xapian-core)
 * (or $(xapian-config --cxxflags --libs)).
 *
 * Usage: xapian_latency [-r REPS] [-w WARMUP] [-l LIMIT] [-o and|or] [-c] [-s] XAPIAN_DB QUERIES
 * QUERIES: one query per line: a label (the nutgraf query; ignored), a TAB,
 * the QueryParser string. Output on stdout, one line per timed search:
 *   sample<TAB>QUERY_NO<TAB>xapian<TAB>NANOSECONDS<TAB>HITS<TAB>CPU_NANOSECONDS
 * (wall time, and the thread's CPU time over the same search, as latency.c)
 * and with -c, before the samples, one line per query with the exact number
 * of matching documents (passages):
 *   count<TAB>QUERY_NO<TAB>xapian<TAB>MATCHES
 * Exit: 0 ok, 2 usage, 3 cannot open the database or the query file,
 * 4 search error.
 */
#include <xapian.h>

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

/* quest's stop words (xapian-core examples/quest.cc): with them a query of
 * only stop words (`the`) is still searched, and a stop word elsewhere is
 * dropped, as quest does. */
const char *const stop_words[] = {"a",     "about", "an",   "and", "are",  "as",  "at",  "be",   "by",
                                  "en",    "for",   "from", "how", "i",    "in",  "is",  "it",   "of",
                                  "on",    "or",    "that", "the", "this", "to",  "was", "what", "when",
                                  "where", "which", "who",  "why", "will", "with"};

/* Results are read into this so the compiler cannot skip reading them. */
volatile size_t sink;

long long clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct searcher {
  Xapian::Database db;
  Xapian::QueryParser parser;
  Xapian::Stem stemmer{"english"};
  Xapian::SimpleStopper stopper{stop_words, stop_words + sizeof stop_words / sizeof *stop_words};
  unsigned flags = Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_WILDCARD;
  bool snippets = false;

  explicit searcher(const std::string &path, Xapian::Query::op default_op) : db(path) {
    parser.set_database(db);
    parser.set_stemmer(stemmer);
    parser.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    parser.set_stopper(&stopper);
    parser.set_default_op(default_op);
  }

  /* One search as quest does it; returns the number of hits read. */
  int search(const std::string &query, Xapian::doccount limit) {
    Xapian::Query q = parser.parse_query(query, flags);
    Xapian::Enquire enquire(db);
    enquire.set_query(q);
    Xapian::MSet mset = enquire.get_mset(0, limit);
    int hits = 0;
    for (Xapian::MSetIterator i = mset.begin(); i != mset.end(); ++i) {
      std::string data = i.get_document().get_data();
      sink += data.size() + (i.get_weight() > 0.0);
      if (snippets) sink += mset.snippet(data, 200, stemmer).size();
      hits++;
    }
    return hits;
  }

  /* The exact number of matching documents. */
  Xapian::doccount count(const std::string &query) {
    Xapian::Enquire enquire(db);
    enquire.set_query(parser.parse_query(query, flags));
    return enquire.get_mset(0, 0, db.get_doccount()).get_matches_estimated();
  }
};

void usage() {
  std::fprintf(stderr,
               "usage: xapian_latency [-r REPS] [-w WARMUP] [-l LIMIT] [-o and|or] [-c] [-s] "
               "XAPIAN_DB QUERIES\n");
}

}  // namespace

int main(int argc, char **argv) {
  int reps = 200, warmup = 10, limit = 10, opt, status = 0;
  bool counts = false, snippets = false;
  Xapian::Query::op default_op = Xapian::Query::OP_AND;

  while ((opt = getopt(argc, argv, "r:w:l:o:csh")) != -1) {
    switch (opt) {
      case 'r': reps = std::atoi(optarg); break;
      case 'w': warmup = std::atoi(optarg); break;
      case 'l': limit = std::atoi(optarg); break;
      case 'o':
        if (!std::strcmp(optarg, "and")) {
          default_op = Xapian::Query::OP_AND;
        } else if (!std::strcmp(optarg, "or")) {
          default_op = Xapian::Query::OP_OR;
        } else {
          usage();
          return 2;
        }
        break;
      case 'c': counts = true; break;
      case 's': snippets = true; break;
      case 'h': usage(); return 0;
      default: usage(); return 2;
    }
  }
  if (argc - optind != 2 || reps < 1 || warmup < 0 || limit < 1) {
    usage();
    return 2;
  }

  std::vector<std::string> queries;
  std::ifstream qf(argv[optind + 1]);
  if (!qf) {
    std::perror(argv[optind + 1]);
    return 3;
  }
  for (std::string line; std::getline(qf, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string::size_type tab = line.find('\t');
    if (tab != std::string::npos) queries.push_back(line.substr(tab + 1));
  }

  try {
    searcher s(argv[optind], default_op);
    s.snippets = snippets;
    if (counts) {
      for (size_t q = 0; q < queries.size(); q++)
        std::printf("count\t%zu\txapian\t%lu\n", q + 1, (unsigned long)s.count(queries[q]));
    }
    for (size_t q = 0; q < queries.size() && status == 0; q++) {
      for (int r = -warmup; r < reps; r++) {
        long long c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t0 = clock_ns(CLOCK_MONOTONIC);
        int n;
        try {
          n = s.search(queries[q], (Xapian::doccount)limit);
        } catch (const Xapian::Error &e) {
          std::fprintf(stderr, "xapian_latency: query %zu (%s): %s\n", q + 1, queries[q].c_str(),
                       e.get_description().c_str());
          status = 4;
          break;
        }
        long long t1 = clock_ns(CLOCK_MONOTONIC), c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        if (r >= 0) std::printf("sample\t%zu\txapian\t%lld\t%d\t%lld\n", q + 1, t1 - t0, n, c1 - c0);
      }
    }
  } catch (const Xapian::DatabaseOpeningError &e) {
    std::fprintf(stderr, "xapian_latency: %s: %s\n", argv[optind], e.get_description().c_str());
    return 3;
  } catch (const Xapian::Error &e) {
    std::fprintf(stderr, "xapian_latency: %s\n", e.get_description().c_str());
    return 4;
  }
  return status;
}
