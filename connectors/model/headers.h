// Request headers with case-insensitive lookup (HTTP header names are case-insensitive).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deskhook {

class HeaderMap {
 public:
  HeaderMap() = default;
  HeaderMap(std::initializer_list<std::pair<std::string, std::string>> init) : items_(init) {}
  void Add(std::string name, std::string value) { items_.emplace_back(std::move(name), std::move(value)); }
  // First value of `name` (case-insensitive), or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace deskhook
