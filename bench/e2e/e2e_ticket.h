// The e2e benches' webhook body: alternates an angry message (escalation: tag + group + priority
// + note) and a routine question (routed by topic), each on its own ticket, so every event leads
// to one call with the example scripts.
#pragma once

#include <cstdint>
#include <string>

namespace deskhook::bench {

inline std::string E2eTicketBody(int64_t ticket) {
  static const char* texts[] = {
      "This is the third time my card was charged twice. Unacceptable! Nobody answers, I want a refund.",
      "Hello, how do I reset my password? The login page keeps saying my password is wrong.",
  };
  return R"({"source":"zendesk-trigger","event":"ticket.created","ticket":{"id":")" + std::to_string(ticket) +
         R"(","subject":"Support request","description":")" + texts[ticket % 2] + R"(","latest_comment":")" +
         texts[ticket % 2] +
         R"(","status":"new","priority":"normal","type":"question","tags":"","via":"Web form","created_at":"2026-11-22T09:00:00Z","updated_at":"2026-11-22T09:00:00Z","url":"https://acme.zendesk.com/agent/tickets/1","requester":{"id":"9001","name":"Dana","email":"dana@example.com"},"assignee":{"id":"","name":"","email":""},"group":{"id":"","name":""},"brand":"Acme"}})";
}

}  // namespace deskhook::bench
