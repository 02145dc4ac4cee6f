// Process metrics in Prometheus text format. Counters, gauges and histograms are identified by
// name plus a pre-formatted label string (e.g. `instance="zendesk",status="200"`).
// Thread-safe; cheap enough for the request path (one short mutex hold per call).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace deskhook {

class Metrics {
 public:
  static Metrics& Global();

  void Inc(std::string_view name, std::string_view labels = "", double by = 1);
  void Set(std::string_view name, std::string_view labels, double value);
  void Observe(std::string_view name, std::string_view labels, double seconds);
  // A gauge computed when scraped (e.g. queue depth from the store).
  void SetGaugeFn(std::string_view name, std::function<double()> fn);

  double Value(std::string_view name, std::string_view labels = "") const;  // counters/gauges
  uint64_t HistogramCount(std::string_view name, std::string_view labels = "") const;
  std::string Render() const;
  void ResetForTest();

  // `instance="x",status="200"` with values escaped.
  static std::string Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> kv);

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  // name -> labels -> value. Transparent comparators: a lookup of an existing series allocates
  // nothing, so the lock (taken on every request) is held only for the lookup itself.
  template <typename V>
  using Family = std::map<std::string, std::map<std::string, V, std::less<>>, std::less<>>;
  Family<double> counters_;
  Family<double> gauges_;
  Family<Histogram> histograms_;
  std::map<std::string, std::function<double()>> gauge_fns_;
};

}  // namespace deskhook
