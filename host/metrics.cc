#include "host/metrics.h"

#include <cstdio>

namespace deskhook {
namespace {

constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                               0.1,    0.25,  0.5,    1,     2.5,   5,     10};
constexpr size_t kBucketCount = sizeof(kBuckets) / sizeof(kBuckets[0]);

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string Series(const std::string& name, const std::string& labels, const std::string& extra = "") {
  std::string s = name;
  if (!labels.empty() || !extra.empty()) {
    s += '{';
    s += labels;
    if (!labels.empty() && !extra.empty()) s += ',';
    s += extra;
    s += '}';
  }
  return s;
}

}  // namespace

Metrics& Metrics::Global() {
  static Metrics* m = new Metrics();
  return *m;
}

std::string Metrics::Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
  std::string out;
  for (const auto& [k, v] : kv) {
    if (!out.empty()) out += ',';
    out += k;
    out += "=\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') { out += "\\n"; continue; }
      out += c;
    }
    out += '"';
  }
  return out;
}

namespace {

// The series `name{labels}` of `family`, created on first use. REQUIRES: the metrics lock.
template <typename Family>
auto& Series(Family& family, std::string_view name, std::string_view labels) {
  auto f = family.find(name);
  if (f == family.end()) f = family.emplace(std::string(name), typename Family::mapped_type{}).first;
  auto s = f->second.find(labels);
  if (s == f->second.end()) s = f->second.emplace(std::string(labels), typename Family::mapped_type::mapped_type{}).first;
  return s->second;
}

}  // namespace

void Metrics::Inc(std::string_view name, std::string_view labels, double by) {
  std::lock_guard<std::mutex> lock(mu_);
  Series(counters_, name, labels) += by;
}

void Metrics::Set(std::string_view name, std::string_view labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  Series(gauges_, name, labels) = value;
}

void Metrics::SetGaugeFn(std::string_view name, std::function<double()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  gauge_fns_[std::string(name)] = std::move(fn);
}

void Metrics::Observe(std::string_view name, std::string_view labels, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  Histogram& h = Series(histograms_, name, labels);
  if (h.buckets.empty()) h.buckets.assign(kBucketCount, 0);
  for (size_t i = 0; i < kBucketCount; ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

double Metrics::Value(std::string_view name, std::string_view labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto* family : {&counters_, &gauges_}) {
    auto it = family->find(std::string(name));
    if (it == family->end()) continue;
    auto jt = it->second.find(std::string(labels));
    if (jt != it->second.end()) return jt->second;
  }
  return 0;
}

uint64_t Metrics::HistogramCount(std::string_view name, std::string_view labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = histograms_.find(std::string(name));
  if (it == histograms_.end()) return 0;
  auto jt = it->second.find(std::string(labels));
  return jt == it->second.end() ? 0 : jt->second.count;
}

std::string Metrics::Render() const {
  std::map<std::string, std::function<double()>> fns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    fns = gauge_fns_;
  }
  std::string out;
  for (const auto& [name, fn] : fns) {  // outside the lock: fns may query the store
    out += "# TYPE " + name + " gauge\n" + name + " " + Num(fn()) + "\n";
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, series] : counters_) {
    out += "# TYPE " + name + " counter\n";
    for (const auto& [labels, v] : series) out += Series(name, labels) + " " + Num(v) + "\n";
  }
  for (const auto& [name, series] : gauges_) {
    out += "# TYPE " + name + " gauge\n";
    for (const auto& [labels, v] : series) out += Series(name, labels) + " " + Num(v) + "\n";
  }
  for (const auto& [name, series] : histograms_) {
    out += "# TYPE " + name + " histogram\n";
    for (const auto& [labels, h] : series) {
      for (size_t i = 0; i < kBucketCount; ++i) {
        out += Series(name + "_bucket", labels, "le=\"" + Num(kBuckets[i]) + "\"") + " " +
               std::to_string(h.buckets[i]) + "\n";
      }
      out += Series(name + "_bucket", labels, "le=\"+Inf\"") + " " + std::to_string(h.count) + "\n";
      out += Series(name + "_sum", labels) + " " + Num(h.sum) + "\n";
      out += Series(name + "_count", labels) + " " + std::to_string(h.count) + "\n";
    }
  }
  return out;
}

void Metrics::ResetForTest() {
  std::lock_guard<std::mutex> lock(mu_);
  counters_.clear();
  gauges_.clear();
  histograms_.clear();
  gauge_fns_.clear();
}

}  // namespace deskhook
