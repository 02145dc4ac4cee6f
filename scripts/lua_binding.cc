// All of deskhook's Lua/C glue. Rules kept throughout this file:
//  - every call that can raise (allocate, run Lua, call a metamethod) happens in protected mode:
//    either inside a lua_pcall'd C function or in Lua's own protected loaders;
//  - liblua5.4 is C and raises with longjmp, so no C++ object with a destructor is alive in a
//    frame that a Lua error can unwind: C++ values go to State members, errors are raised from
//    the outermost C function after its C++ locals are gone;
//  - registry references are held by Ref (RAII); the lua_State is closed after every Ref.
#include "scripts/lua_binding.h"

#include <lua.hpp>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "scripts/cpu_deadline.h"
#include "scripts/ticket_view.h"

namespace deskhook::scripts::binding {
namespace {


constexpr const char* kHandlers[] = {"on_ticket_created", "on_customer_reply", "on_agent_reply",
                                     "on_ticket_updated", "on_event"};
constexpr int kMaxDepth = 200;       // Lua call depth per invocation
char kLoadingSentinel = 0;           // loaded[name] while a module's chunk runs
char kBackingKey = 0;                // view metatable[&kBackingKey] = backing table

// ---- RAII holders ----------------------------------------------------------------------------

struct StateCloser {
  void operator()(lua_State* L) const { lua_close(L); }
};

// A registry reference. Construct inside protected mode (luaL_ref may allocate); the reference
// is dropped on destruction or reset.
class Ref {
 public:
  Ref() = default;
  explicit Ref(lua_State* L) : L_(L), ref_(luaL_ref(L, LUA_REGISTRYINDEX)) {}  // pops the top
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  Ref(Ref&& o) noexcept : L_(o.L_), ref_(o.ref_) { o.L_ = nullptr; o.ref_ = LUA_NOREF; }
  Ref& operator=(Ref&& o) noexcept {
    if (this != &o) {
      reset();
      L_ = o.L_;
      ref_ = o.ref_;
      o.L_ = nullptr;
      o.ref_ = LUA_NOREF;
    }
    return *this;
  }
  ~Ref() { reset(); }
  void reset() {
    if (L_ != nullptr && ref_ != LUA_NOREF && ref_ != LUA_REFNIL) luaL_unref(L_, LUA_REGISTRYINDEX, ref_);
    L_ = nullptr;
    ref_ = LUA_NOREF;
  }
  bool valid() const { return L_ != nullptr && ref_ != LUA_NOREF; }
  void push(lua_State* L) const {
    if (valid()) lua_rawgeti(L, LUA_REGISTRYINDEX, ref_);
    else lua_pushnil(L);
  }

 private:
  lua_State* L_ = nullptr;
  int ref_ = LUA_NOREF;
};

}  // namespace

// ---- the VM core shared by Engine and Harness: state, allocator, limits ----------------------

// Small Lua objects (tables, short strings, closures: most of what an event allocates) come from
// per-state free lists in 16-byte size classes carved from 64 KiB slabs; larger ones from malloc.
// The memory cap counts the bytes Lua asked for, pooled or not.
class SmallPool {
 public:
  static constexpr size_t kMax = 256;
  SmallPool() = default;
  SmallPool(const SmallPool&) = delete;
  SmallPool& operator=(const SmallPool&) = delete;
  ~SmallPool() {
    for (void* s : slabs_) std::free(s);
  }
  static size_t Class(size_t n) { return (n + 15) / 16 - 1; }
  void* Get(size_t n) {
    const size_t c = Class(n);
    if (Node* node = free_[c]) {
      free_[c] = node->next;
      return node;
    }
    const size_t size = (c + 1) * 16;
    if (left_ < size) {
      void* slab = std::malloc(kSlab);
      if (slab == nullptr) return nullptr;
      slabs_.push_back(slab);
      next_ = static_cast<char*>(slab);
      left_ = kSlab;
    }
    void* p = next_;
    next_ += size;
    left_ -= size;
    return p;
  }
  void Put(void* p, size_t n) {
    Node* node = static_cast<Node*>(p);
    node->next = free_[Class(n)];
    free_[Class(n)] = node;
  }

 private:
  struct Node {
    Node* next;
  };
  static constexpr size_t kSlab = 64 << 10;
  Node* free_[kMax / 16] = {};
  std::vector<void*> slabs_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

struct VmCore {
  explicit VmCore(const Limits& l) : limits(l), cap(l.memory_bytes) {}
  virtual ~VmCore() = default;

  SmallPool pool;                                 // outlives the state (declared before it)
  std::unique_ptr<lua_State, StateCloser> owner;  // closed after every Ref below
  lua_State* L = nullptr;
  Limits limits;
  size_t used = 0;
  size_t cap;

  // The current protected run (an invocation or a harness call).
  bool active = false;
  int64_t budget = 0;
  int64_t counted = 0;
  int step = Engine::kHookStep;
  CpuDeadline deadline;
  bool limit_hit = false;
  bool mem_hit = false;
  bool refused_pending = false;  // an allocation was refused and not yet retried successfully
  size_t refused_size = 0;
  bool mem_check = false;        // the hook is armed to look at that refusal
  std::string refused_where;     // script line of the last refusal
  std::string limit_reason;  // "instruction budget of 1000000 exceeded"
  std::string limit_where;   // "rules.lua:12"
};

namespace {

VmCore* Core(lua_State* L) { return *static_cast<VmCore**>(lua_getextraspace(L)); }

// Where the running Lua code is: the first Lua frame from `level` up, as "chunk:line".
void Where(lua_State* L, int level, std::string* out) {
  lua_Debug ar;
  for (int i = level; i < level + 8 && lua_getstack(L, i, &ar); ++i) {
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
      *out = ar.short_src;
      *out += ':';
      *out += std::to_string(ar.currentline);
      return;
    }
  }
}

void Hook(lua_State* L, lua_Debug* ar);

void ArmRaise(VmCore* c) { lua_sethook(c->L, Hook, LUA_MASKCOUNT, 1); }

void MarkMemoryHit(VmCore* c) {
  if (c->limit_where.empty()) c->limit_where = c->refused_where;
  c->mem_hit = c->limit_hit = true;
  c->refused_pending = false;
  c->limit_reason = "memory cap of " + std::to_string(c->cap) + " bytes exceeded";
}

void* Alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* c = static_cast<VmCore*>(ud);
  const size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    c->used -= old;
    if (ptr != nullptr) {
      if (old <= SmallPool::kMax) c->pool.Put(ptr, old);
      else std::free(ptr);
    }
    return nullptr;
  }
  if (nsize > old) {
    if (c->active && c->mem_hit) return nullptr;  // keep refusing until the script is out
    if (c->used + (nsize - old) > c->cap) {
      // Lua's core answers a refusal with an emergency full GC and asks again once; a second
      // refusal of the same request means live data really is over the cap. Other callers
      // (luaL_Buffer) raise at once: the hook, armed to fire at the next instruction, sees the
      // unanswered refusal and turns it into the limit.
      if (c->refused_pending && c->refused_size == nsize) {
        if (c->active) {
          MarkMemoryHit(c);
          Where(c->L, 0, &c->limit_where);
          ArmRaise(c);
        }
      } else {
        c->refused_pending = true;
        c->refused_size = nsize;
        if (c->active) {
          Where(c->L, 0, &c->refused_where);  // Lua may raise without a message handler
          c->mem_check = true;
          ArmRaise(c);
        }
      }
      return nullptr;
    }
  }
  void* p;
  if (ptr != nullptr && old <= SmallPool::kMax && nsize <= SmallPool::kMax &&
      SmallPool::Class(old) == SmallPool::Class(nsize)) {
    p = ptr;  // same size class: the block already fits
  } else if (ptr != nullptr && old > SmallPool::kMax && nsize > SmallPool::kMax) {
    p = std::realloc(ptr, nsize);
  } else {
    p = nsize <= SmallPool::kMax ? c->pool.Get(nsize) : std::malloc(nsize);
    if (p != nullptr && ptr != nullptr) {
      std::memcpy(p, ptr, std::min(old, nsize));
      if (old <= SmallPool::kMax) c->pool.Put(ptr, old);
      else std::free(ptr);
    }
  }
  if (p == nullptr) return nullptr;
  if (c->refused_pending && nsize == c->refused_size) c->refused_pending = false;  // the retry fit
  c->used = c->used - old + nsize;
  return p;
}

void Hook(lua_State* L, lua_Debug* ar) {
  VmCore* c = Core(L);
  if (!c->active) return;
  if (!c->limit_hit) {
    lua_Debug deep;
    if (c->mem_check) {  // armed by a refused allocation
      c->mem_check = false;
      c->counted += 1;
      if (!c->refused_pending) {
        lua_sethook(L, Hook, LUA_MASKCOUNT, c->step);
        return;
      }
      MarkMemoryHit(c);
    } else {
      c->counted += c->step;
      if (c->counted >= c->budget) {
        c->limit_reason = "instruction budget of " + std::to_string(c->limits.instructions) + " exceeded";
      } else if (c->deadline.Passed()) {
        c->limit_reason = "deadline of " + std::to_string(c->limits.deadline_ms) + " ms exceeded";
      } else if (lua_getstack(L, kMaxDepth, &deep)) {
        c->limit_reason = "call depth over " + std::to_string(kMaxDepth) + " (runaway recursion?)";
      } else {
        return;
      }
    }
    c->limit_hit = true;
    ArmRaise(c);  // from now on every instruction raises again: pcall cannot swallow the limit
  }
  if (c->limit_where.empty() && lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
    c->limit_where = std::string(ar->short_src) + ":" + std::to_string(ar->currentline);
  }
  lua_pushfstring(L, "limit: %s", c->limit_reason.c_str());
  lua_error(L);
}

int Panic(lua_State* L) {
  const char* msg = lua_tostring(L, -1);
  std::fprintf(stderr, "deskhook: unprotected Lua error (bug): %s\n", msg ? msg : "?");
  std::abort();
}

void StartRun(VmCore* c, int64_t instructions, int64_t deadline_ms) {
  c->active = true;
  c->budget = instructions;
  c->counted = 0;
  c->step = static_cast<int>(std::min<int64_t>(Engine::kHookStep, std::max<int64_t>(1, instructions)));
  c->deadline.Start(deadline_ms);
  c->limit_hit = c->mem_hit = c->refused_pending = c->mem_check = false;
  c->limit_reason.clear();
  c->limit_where.clear();
  c->refused_where.clear();
  lua_sethook(c->L, Hook, LUA_MASKCOUNT, c->step);
}

void StopRun(VmCore* c) {
  lua_sethook(c->L, nullptr, 0, 0);
  c->active = false;
}

// Message handler: turns any error object into a string and prefixes the script location when
// the error was raised by a C function called from C (table.insert on a read-only view, ...).
int MessageHandler(lua_State* L) {
  if (lua_type(L, 1) != LUA_TSTRING) {
    if (!luaL_callmeta(L, 1, "__tostring") || lua_type(L, -1) != LUA_TSTRING)
      lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    lua_replace(L, 1);
  }
  lua_Debug ar;
  for (int level = 1; level < 12 && lua_getstack(L, level, &ar); ++level) {
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
      const size_t n = std::strlen(ar.short_src);
      const char* msg = lua_tostring(L, 1);
      if (std::strncmp(msg, ar.short_src, n) == 0 && msg[n] == ':') return 1;
      if (std::strncmp(msg, "limit: ", 7) == 0) return 1;
      lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, msg);
      return 1;
    }
  }
  lua_settop(L, 1);
  return 1;
}

bool OpenState(VmCore* c) {
  lua_State* L = lua_newstate(Alloc, c);
  if (L == nullptr) return false;
  c->owner.reset(L);
  c->L = L;
  *static_cast<VmCore**>(lua_getextraspace(L)) = c;
  lua_atpanic(L, Panic);
  // Incremental with pause 400 (a cycle starts when memory doubles twice over the live data):
  // per-event garbage is small, and callgrind counted 2.5% fewer instructions per event than
  // pause 200; generational was 5% worse.
  lua_gc(L, LUA_GCINC, 400, 0, 0);
  return true;
}

// Runs `fn(L)` with `arg` as its only argument in protected mode with a message handler.
// Returns the status; on error the message is in *err.
int RunProtected(lua_State* L, lua_CFunction fn, void* arg, std::string* err) {
  lua_pushcfunction(L, MessageHandler);
  lua_pushcfunction(L, fn);
  lua_pushlightuserdata(L, arg);
  const int st = lua_pcall(L, 1, 0, -3);
  if (st != LUA_OK && err != nullptr) {
    const char* m = lua_tostring(L, -1);
    *err = m ? m : (st == LUA_ERRMEM ? "not enough memory" : "error without message");
  }
  lua_settop(L, 0);
  return st;
}

// ---- read-only views -------------------------------------------------------------------------

int RoNewIndex(lua_State* L) {
  if (lua_type(L, 2) == LUA_TSTRING) return luaL_error(L, "read-only: cannot set field '%s'", lua_tostring(L, 2));
  return luaL_error(L, "read-only: cannot set a field");
}

void PushBacking(lua_State* L, int proxy) {
  if (!lua_getmetatable(L, proxy)) {
    lua_newtable(L);
    return;
  }
  lua_rawgetp(L, -1, &kBackingKey);  // the backing table, under a key scripts cannot name
  lua_remove(L, -2);
}

int RoLen(lua_State* L) {
  PushBacking(L, 1);
  lua_pushinteger(L, static_cast<lua_Integer>(lua_rawlen(L, -1)));
  return 1;
}

int RoNext(lua_State* L) {
  PushBacking(L, 1);
  lua_pushvalue(L, 2);
  if (lua_next(L, -2)) return 2;
  lua_pushnil(L);
  return 1;
}

int RoPairs(lua_State* L) {
  lua_pushcfunction(L, RoNext);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// Replaces the table on top of the stack with a read-only proxy of it. Nested tables must
// already be proxies.
void MakeReadOnly(lua_State* L) {
  const int backing = lua_gettop(L);
  lua_createtable(L, 0, 0);
  lua_createtable(L, 0, 6);
  lua_pushvalue(L, backing);
  lua_setfield(L, -2, "__index");
  lua_pushvalue(L, backing);
  lua_rawsetp(L, -2, &kBackingKey);
  lua_pushcfunction(L, RoNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, RoLen);
  lua_setfield(L, -2, "__len");
  lua_pushcfunction(L, RoPairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_replace(L, backing);
}

void SetString(lua_State* L, const char* key, const std::string& v) {
  lua_pushlstring(L, v.data(), v.size());
  lua_setfield(L, -2, key);
}
void SetNumber(lua_State* L, const char* key, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, key);
}
void SetInteger(lua_State* L, const char* key, int64_t v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, key);
}
void SetBool(lua_State* L, const char* key, bool v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, key);
}

void PushStringList(lua_State* L, const std::vector<std::string>& v) {
  lua_createtable(L, static_cast<int>(v.size()), 0);
  for (size_t i = 0; i < v.size(); ++i) {
    lua_pushlstring(L, v[i].data(), v[i].size());
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  MakeReadOnly(L);
}

// ---- the sandbox -----------------------------------------------------------------------------

int SafeSetmetatable(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  const int t = lua_type(L, 2);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL) return luaL_error(L, "cannot change a protected metatable");
  if (t == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "setmetatable: __gc metamethods are not allowed");
    lua_pop(L, 1);
  }
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

// Leaves the sandbox globals table on the stack: the allow-listed base functions and read-only
// views of string (without dump), table, math and utf8. Nothing else is reachable from it.
void PushSandbox(lua_State* L) {
  luaL_requiref(L, LUA_GNAME, luaopen_base, 0);
  const int base = lua_gettop(L);
  static const struct { const char* name; lua_CFunction open; } kLibs[] = {
      {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
      {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8}};
  lua_createtable(L, 0, 40);
  const int sandbox = lua_gettop(L);
  static const char* kBase[] = {"assert",   "error",  "ipairs", "next",     "pairs",    "pcall",
                                "xpcall",   "select", "tonumber", "tostring", "type",   "rawequal",
                                "rawlen",   "rawget", "getmetatable", "_VERSION"};
  for (const char* name : kBase) {
    lua_getfield(L, base, name);
    lua_setfield(L, sandbox, name);
  }
  lua_pushcfunction(L, SafeSetmetatable);
  lua_setfield(L, sandbox, "setmetatable");
  for (const auto& lib : kLibs) {
    luaL_requiref(L, lib.name, lib.open, 0);
    if (std::strcmp(lib.name, LUA_STRLIBNAME) == 0) {
      lua_pushnil(L);
      lua_setfield(L, -2, "dump");  // also gone from ("").dump: the string metatable uses this table
      lua_pushliteral(L, "");
      lua_getmetatable(L, -1);
      lua_pushboolean(L, 0);
      lua_setfield(L, -2, "__metatable");
      lua_pop(L, 2);
    }
    MakeReadOnly(L);
    lua_setfield(L, sandbox, lib.name);
  }
  lua_remove(L, base);
}

// A fresh environment inheriting `env_mt`'s globals, with _G pointing at itself.
void PushFreshEnv(lua_State* L, const Ref& env_mt) {
  lua_createtable(L, 0, 8);
  env_mt.push(L);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "_G");
}

// Sets `fn`'s _ENV upvalue (a main chunk's first and only upvalue) to the table on top; pops it.
void SetEnv(lua_State* L, int fn) {
  if (lua_setupvalue(L, fn, 1) == nullptr) lua_pop(L, 1);
}

// Env metatable {__index = sandbox, __metatable = false}; pops the sandbox.
void PushEnvMeta(lua_State* L) {
  lua_createtable(L, 0, 2);
  lua_insert(L, -2);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
}

}  // namespace

// ---- Engine: the scripts of one Runtime ------------------------------------------------------

struct Engine::State : VmCore {
  using VmCore::VmCore;
  std::vector<ScriptSource> scripts;  // text dropped after compile
  std::string module_dir;
  std::vector<std::string> module_paths;
  Ref env_mt, t_proxy, ctx_mt, kv_table, field_index, module_cache, sentiment_proxy, decisions_proxy;
  std::vector<Ref> chunks;
  bool poisoned = false;

  // The current event.
  const EventContext* event = nullptr;
  int64_t now_ms = 0;
  Ref event_cache;  // materialised fields of t, by Field index + 1

  // The current invocation.
  size_t current = 0;
  const Decided* decided = nullptr;
  ScriptKv* kv = nullptr;
  InvokeResult* out = nullptr;
  size_t tags_named = 0, kv_ops = 0, logs_dropped = 0;
  bool in_handler = false;
  Ref loaded;  // require() results of this invocation

  // C++ values built while Lua may raise live here, never on the C stack.
  std::string scratch;
  std::vector<std::string> scratch_list;
  std::vector<std::pair<std::string, int>> bad_handlers;  // probe: (message, line)

  ~State() override { cap = SIZE_MAX; }  // dropping the Refs below must never be refused
};

namespace {

using EState = Engine::State;
EState* ES(lua_State* L) { return static_cast<EState*>(Core(L)); }

void CheckLimit(lua_State* L, EState* s) {
  if (s->limit_hit) luaL_error(L, "limit: %s", s->limit_reason.c_str());
}

// Decisions, log and kv belong to a handler call, not to a script's top level.
void CheckLive(lua_State* L, EState* s) {
  CheckLimit(L, s);
  if (s->out == nullptr || !s->in_handler) luaL_error(L, "this can only be called inside a handler");
}

int CallerLine(lua_State* L) {
  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar)) return ar.currentline;
  return 0;
}

void PushStr(lua_State* L, std::string_view v) { lua_pushlstring(L, v.data(), v.size()); }

void PushPerson(lua_State* L, const Person& p) {
  lua_createtable(L, 0, 3);
  SetString(L, "id", p.id);
  SetString(L, "name", p.name);
  SetString(L, "email", p.email);
  MakeReadOnly(L);
}

void PushMessage(lua_State* L, const Message& m) {
  lua_createtable(L, 0, 6);
  SetString(L, "id", m.id);
  PushStr(L, AuthorRoleName(m.role));
  lua_setfield(L, -2, "role");
  SetString(L, "author_id", m.author_id);
  SetString(L, "body", m.body);
  SetInteger(L, "time", m.time_ms);
  SetBool(L, "public", m.is_public);
  MakeReadOnly(L);
}

// Shared lazy views: one empty proxy per kind whose __index reads the current event or
// invocation from C++ (no tables built per event; sub-tables are built when first read).
struct LazyKind {
  const char* const* names;
  int count;
  bool (*push)(lua_State* L, EState* s, int idx);  // false: the field is nil now
};

int LazyIndex(lua_State* L) {
  const auto* kind = static_cast<const LazyKind*>(lua_touserdata(L, lua_upvalueindex(1)));
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  const char* key = lua_tostring(L, 2);
  for (int i = 0; i < kind->count; ++i) {
    if (std::strcmp(kind->names[i], key) == 0) return kind->push(L, ES(L), i) ? 1 : 0;
  }
  return 0;
}

int LazyNext(lua_State* L) {
  const auto* kind = static_cast<const LazyKind*>(lua_touserdata(L, lua_upvalueindex(1)));
  int i = 0;
  if (lua_type(L, 2) == LUA_TSTRING) {
    const char* key = lua_tostring(L, 2);
    while (i < kind->count && std::strcmp(kind->names[i], key) != 0) ++i;
    ++i;
  }
  for (; i < kind->count; ++i) {
    lua_pushstring(L, kind->names[i]);
    if (kind->push(L, ES(L), i)) return 2;
    lua_pop(L, 1);
  }
  return 0;
}

int LazyPairs(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushcclosure(L, LazyNext, 1);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// Pushes a new shared proxy for `kind`.
void PushLazyProxy(lua_State* L, const LazyKind* kind) {
  lua_newtable(L);
  lua_createtable(L, 0, 4);
  lua_pushlightuserdata(L, const_cast<LazyKind*>(kind));
  lua_pushcclosure(L, LazyIndex, 1);
  lua_setfield(L, -2, "__index");
  lua_pushlightuserdata(L, const_cast<LazyKind*>(kind));
  lua_pushcclosure(L, LazyPairs, 1);
  lua_setfield(L, -2, "__pairs");
  lua_pushcfunction(L, RoNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
}

// Sub-tables of lazy views are built once per event and kept in the event cache after the
// t fields (slots kCount + 1 ...).
constexpr int kSlotTrend = static_cast<int>(Field::kCount) + 1;
constexpr int kSlotTerms = static_cast<int>(Field::kCount) + 2;

bool PushCachedSlot(lua_State* L, EState* s, int slot, void (*build)(lua_State*, const EventContext&)) {
  if (!s->event_cache.valid()) {
    build(L, *s->event);
    return true;
  }
  s->event_cache.push(L);
  if (lua_rawgeti(L, -1, slot) == LUA_TNIL) {
    lua_pop(L, 1);
    build(L, *s->event);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, slot);
  }
  lua_remove(L, -2);
  return true;
}

void BuildTrend(lua_State* L, const EventContext& e) {
  const auto& tr = e.trend;
  lua_createtable(L, 0, 6);
  SetInteger(L, "messages", tr.messages);
  SetNumber(L, "last", tr.last);
  SetNumber(L, "ewma", tr.ewma);
  SetNumber(L, "slope", tr.slope);
  SetNumber(L, "min", tr.min);
  SetBool(L, "escalating", tr.escalating);
  MakeReadOnly(L);
}

void BuildTerms(lua_State* L, const EventContext& e) {
  const auto& terms = e.sentiment.terms;
  lua_createtable(L, static_cast<int>(terms.size()), 0);
  for (size_t i = 0; i < terms.size(); ++i) {
    lua_createtable(L, 0, 3);
    SetString(L, "text", terms[i].text);
    SetNumber(L, "weight", terms[i].weight);
    SetString(L, "signal", terms[i].signal);
    MakeReadOnly(L);
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  MakeReadOnly(L);
}

bool PushSentimentField(lua_State* L, EState* s, int idx) {
  if (s->event == nullptr) return false;
  if (s->out != nullptr) s->out->sentiment_read |= 1u << idx;  // for the decision log's inputs
  const auto& sc = s->event->sentiment;
  switch (idx) {
    case 0: lua_pushnumber(L, sc.compound); return true;
    case 1: lua_pushnumber(L, sc.pos); return true;
    case 2: lua_pushnumber(L, sc.neg); return true;
    case 3: lua_pushnumber(L, sc.neu); return true;
    case 4: lua_pushnumber(L, sc.frustration); return true;
    case 5: lua_pushnumber(L, sc.churn_risk); return true;
    case 6: lua_pushnumber(L, sc.wants_human); return true;
    case 7: lua_pushnumber(L, sc.urgency); return true;
    case 8: lua_pushboolean(L, s->event->trend.escalating); return true;
    case 9: return PushCachedSlot(L, s, kSlotTrend, BuildTrend);
    case 10: return PushCachedSlot(L, s, kSlotTerms, BuildTerms);
  }
  return false;
}
const LazyKind kSentimentKind = {kSentimentKeys, kSentimentKeyCount, PushSentimentField};

void PushSet(lua_State* L, const std::vector<std::string>& v) {
  lua_createtable(L, 0, static_cast<int>(v.size()));
  for (const auto& x : v) {
    lua_pushlstring(L, x.data(), x.size());
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
  }
  MakeReadOnly(L);
}

// Pushes t.<f> for the current event (nil when absent).
void PushField(lua_State* L, EState* s, Field f) {
  const EventContext& e = *s->event;
  const Ticket& t = *e.ticket;
  switch (f) {
    case Field::kEvent: PushStr(L, EventKindName(e.kind)); return;
    case Field::kInstance: PushStr(L, t.instance); return;
    case Field::kPlatform: PushStr(L, t.platform); return;
    case Field::kId: PushStr(L, t.id); return;
    case Field::kSubject: PushStr(L, t.subject); return;
    case Field::kStatus: PushStr(L, t.status); return;
    case Field::kPriority: PushStr(L, t.priority); return;
    case Field::kChannel: PushStr(L, t.channel); return;
    case Field::kUrl: PushStr(L, t.url); return;
    case Field::kGroupId: PushStr(L, t.group_id); return;
    case Field::kGroupName: PushStr(L, t.group_name); return;
    case Field::kCreatedAt: lua_pushinteger(L, t.created_at_ms); return;
    case Field::kUpdatedAt: lua_pushinteger(L, t.updated_at_ms); return;
    case Field::kRequester: PushPerson(L, t.requester); return;
    case Field::kAssignee: PushPerson(L, t.assignee); return;
    case Field::kTags: PushStringList(L, t.tags); return;
    case Field::kTagged: PushSet(L, t.tags); return;
    case Field::kMessages:
      lua_createtable(L, static_cast<int>(t.messages.size()), 0);
      for (size_t i = 0; i < t.messages.size(); ++i) {
        PushMessage(L, t.messages[i]);
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      MakeReadOnly(L);
      return;
    case Field::kLatest:
      if (const Message* m = LatestCustomerMessage(t)) PushMessage(L, *m);
      else lua_pushnil(L);
      return;
    case Field::kText: PushStr(L, EventText(e)); return;
    case Field::kSentiment: s->sentiment_proxy.push(L); return;
    case Field::kSimilar:
      lua_createtable(L, 0, 3);
      SetInteger(L, "count", e.similar.count);
      SetString(L, "group_id", e.similar.group_id);
      PushStringList(L, e.similar.examples);
      lua_setfield(L, -2, "examples");
      MakeReadOnly(L);
      return;
    case Field::kCount: break;
  }
  lua_pushnil(L);
}

// Pushes field `idx` through the per-event cache and records that the script read it.
void PushCachedField(lua_State* L, EState* s, int idx) {
  if (s->out != nullptr) s->out->fields_read |= 1u << idx;
  if (!s->event_cache.valid()) {
    PushField(L, s, static_cast<Field>(idx));
    return;
  }
  s->event_cache.push(L);
  if (lua_rawgeti(L, -1, idx + 1) != LUA_TNIL) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 1);
  PushField(L, s, static_cast<Field>(idx));
  if (!lua_isnil(L, -1)) {
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, idx + 1);
  }
  lua_remove(L, -2);
}

int TIndex(lua_State* L) {
  EState* s = ES(L);
  if (s->event == nullptr || s->event->ticket == nullptr) return luaL_error(L, "t is only valid inside a handler");
  if (lua_type(L, 2) != LUA_TSTRING) return 0;
  s->field_index.push(L);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) != LUA_TNUMBER) return 0;
  PushCachedField(L, s, static_cast<int>(lua_tointeger(L, -1)));
  return 1;
}

int TNext(lua_State* L) {
  EState* s = ES(L);
  if (s->event == nullptr || s->event->ticket == nullptr) return 0;
  int i = 0;
  if (!lua_isnil(L, 2)) {
    s->field_index.push(L);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    i = static_cast<int>(lua_tointeger(L, -1)) + 1;
  }
  for (; i < static_cast<int>(Field::kCount); ++i) {
    PushCachedField(L, s, i);
    if (!lua_isnil(L, -1)) {
      PushStr(L, FieldName(static_cast<Field>(i)));
      lua_insert(L, -2);
      return 2;
    }
    lua_pop(L, 1);
  }
  return 0;
}

int TPairs(lua_State* L) {
  lua_pushcfunction(L, TNext);
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// ctx.decisions: what the scripts before this one decided (read from C++ on access).
const char* const kDecisionNames[] = {"group", "agent", "priority", "tags", "tagged", "untags",
                                      "notes", "drafts", "escalated", "escalations"};

bool PushDecisionField(lua_State* L, EState* s, int idx) {
  if (s->decided == nullptr) return false;
  const DecisionSet& set = s->decided->set;
  const std::optional<std::string>* opt = nullptr;
  switch (idx) {
    case 0: opt = &set.group_id; break;
    case 1: opt = &set.assignee_id; break;
    case 2: opt = &set.priority; break;
    case 3: PushStringList(L, set.add_tags); return true;
    case 4: PushSet(L, set.add_tags); return true;
    case 5: PushStringList(L, set.remove_tags); return true;
    case 6: PushStringList(L, set.notes); return true;
    case 7:
      lua_createtable(L, static_cast<int>(set.drafts.size()), 0);
      for (size_t i = 0; i < set.drafts.size(); ++i) {
        lua_createtable(L, 0, 2);
        SetString(L, "title", set.drafts[i].title);
        SetString(L, "body", set.drafts[i].body_html);
        MakeReadOnly(L);
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      MakeReadOnly(L);
      return true;
    case 8: lua_pushboolean(L, !s->decided->escalations.empty()); return true;
    case 9: PushStringList(L, s->decided->escalations); return true;
  }
  if (opt == nullptr || !opt->has_value()) return false;
  PushStr(L, **opt);
  return true;
}
const LazyKind kDecisionKind = {kDecisionNames, 10, PushDecisionField};

void PushUtc(lua_State* L, int64_t now_ms) {
  const time_t secs = static_cast<time_t>(now_ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  lua_createtable(L, 0, 8);
  SetInteger(L, "year", tm.tm_year + 1900);
  SetInteger(L, "month", tm.tm_mon + 1);
  SetInteger(L, "day", tm.tm_mday);
  SetInteger(L, "hour", tm.tm_hour);
  SetInteger(L, "min", tm.tm_min);
  SetInteger(L, "sec", tm.tm_sec);
  SetInteger(L, "wday", tm.tm_wday + 1);  // 1 = Sunday, as os.date
  SetInteger(L, "yday", tm.tm_yday + 1);
  MakeReadOnly(L);
}

int CtxIndex(lua_State* L) {
  EState* s = ES(L);
  if (lua_type(L, 2) != LUA_TSTRING || s->out == nullptr) return 0;
  const char* key = lua_tostring(L, 2);
  if (std::strcmp(key, "decisions") == 0) {
    s->decisions_proxy.push(L);
    return 1;
  }
  if (std::strcmp(key, "utc") != 0) return 0;
  PushUtc(L, s->now_ms);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, -2);
  lua_rawset(L, 1);  // ctx is this invocation's own table: cache it
  return 1;
}

void PushCtx(lua_State* L, EState* s) {
  lua_createtable(L, 0, 8);
  SetString(L, "instance", s->event->ticket->instance);
  SetInteger(L, "now", s->now_ms);
  PushStr(L, EventKindName(s->event->kind));
  lua_setfield(L, -2, "event");
  SetString(L, "script", s->scripts[s->current].name);
  s->kv_table.push(L);
  lua_setfield(L, -2, "kv");
  s->ctx_mt.push(L);
  lua_setmetatable(L, -2);
}

// ---- actions -----------------------------------------------------------------------------

// Validates a short identifier-like value (tag, group, agent): no control characters or spaces.
const char* BadName(const char* p, size_t n, size_t max, bool allow_space) {
  if (n == 0) return "is empty";
  if (n > max) return "is too long";
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c == 0x7f) return "contains a control character";
    if (!allow_space && (c == ' ' || c == ',')) return "contains a space or comma";
  }
  return nullptr;
}

void CheckActionRoom(lua_State* L, EState* s, const char* what) {
  CheckLive(L, s);
  if (s->out->actions.size() >= s->limits.max_actions)
    luaL_error(L, "%s: more than %d decisions in one handler", what, static_cast<int>(s->limits.max_actions));
}

// Reads an optional id-like field (string or integer) of the table at index 1.
const char* IdField(lua_State* L, const char* field, size_t* n) {
  const int t = lua_getfield(L, 1, field);
  if (t == LUA_TNIL) {
    *n = 0;
    return "";
  }
  if (t == LUA_TNUMBER && !lua_isinteger(L, -1)) luaL_error(L, "assign: %s must be a string or an integer", field);
  if (t != LUA_TNUMBER && t != LUA_TSTRING) luaL_error(L, "assign: %s must be a string or an integer", field);
  const char* p = lua_tolstring(L, -1, n);
  if (const char* bad = BadName(p, *n, 200, false)) luaL_error(L, "assign: %s %s", field, bad);
  return p;
}

int LAssign(lua_State* L) {
  EState* s = ES(L);
  CheckActionRoom(L, s, "assign");
  luaL_checktype(L, 1, LUA_TTABLE);
  size_t gn, an;
  const char* g = IdField(L, "group", &gn);
  const char* a = IdField(L, "agent", &an);
  if (gn == 0 && an == 0) return luaL_error(L, "assign: give group= and/or agent=");
  Action& act = s->out->actions.emplace_back();
  act.kind = ActionKind::kAssign;
  act.group.assign(g, gn);
  act.agent.assign(a, an);
  act.line = CallerLine(L);
  return 0;
}

// tag("a", "b") or tag{"a", "b"}: collects the names into s->scratch_list.
void CollectTags(lua_State* L, EState* s, const char* what) {
  CheckActionRoom(L, s, what);
  s->scratch_list.clear();
  const int n = lua_gettop(L);
  if (n == 0) luaL_error(L, "%s: give at least one tag", what);
  for (int i = 1; i <= n; ++i) {
    const bool list = lua_type(L, i) == LUA_TTABLE;
    const lua_Integer m = list ? luaL_len(L, i) : 1;
    for (lua_Integer j = 1; j <= m; ++j) {
      if (list) lua_geti(L, i, j);
      else lua_pushvalue(L, i);
      if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: tags must be strings", what);
      size_t len;
      const char* p = lua_tolstring(L, -1, &len);
      if (const char* bad = BadName(p, len, s->limits.max_tag_bytes, false)) luaL_error(L, "%s: tag %s", what, bad);
      if (++s->tags_named > s->limits.max_tags)
        luaL_error(L, "%s: more than %d tags in one handler", what, static_cast<int>(s->limits.max_tags));
      s->scratch_list.emplace_back(p, len);
      lua_pop(L, 1);
    }
  }
}

int TagAction(lua_State* L, ActionKind kind) {
  EState* s = ES(L);
  CollectTags(L, s, kind == ActionKind::kTag ? "tag" : "untag");
  Action& act = s->out->actions.emplace_back();
  act.kind = kind;
  act.tags = s->scratch_list;
  act.line = CallerLine(L);
  return 0;
}
int LTag(lua_State* L) { return TagAction(L, ActionKind::kTag); }
int LUntag(lua_State* L) { return TagAction(L, ActionKind::kUntag); }

int LNote(lua_State* L) {
  EState* s = ES(L);
  CheckActionRoom(L, s, "note");
  size_t n;
  const char* p = luaL_checklstring(L, 1, &n);
  if (n == 0) return luaL_error(L, "note: text is empty");
  if (n > s->limits.max_note_bytes)
    return luaL_error(L, "note: %d bytes is over the %d-byte cap", static_cast<int>(n), static_cast<int>(s->limits.max_note_bytes));
  Action& act = s->out->actions.emplace_back();
  act.kind = ActionKind::kNote;
  act.text.assign(p, n);
  act.line = CallerLine(L);
  return 0;
}

int LPriority(lua_State* L) {
  EState* s = ES(L);
  CheckActionRoom(L, s, "priority");
  size_t n;
  const char* p = luaL_checklstring(L, 1, &n);
  if (!IsPriority(std::string_view(p, n))) return luaL_error(L, "priority: '%s' is not low, normal, high or urgent", p);
  Action& act = s->out->actions.emplace_back();
  act.kind = ActionKind::kPriority;
  act.text.assign(p, n);
  act.line = CallerLine(L);
  return 0;
}

int LEscalate(lua_State* L) {
  EState* s = ES(L);
  CheckActionRoom(L, s, "escalate");
  const char* p = "";
  size_t n = 0;
  if (lua_type(L, 1) == LUA_TTABLE) {
    if (lua_getfield(L, 1, "reason") != LUA_TNIL) p = luaL_checklstring(L, -1, &n);
  } else if (!lua_isnoneornil(L, 1)) {
    p = luaL_checklstring(L, 1, &n);
  }
  if (n > 1000) return luaL_error(L, "escalate: reason is over 1000 bytes");
  Action& act = s->out->actions.emplace_back();
  act.kind = ActionKind::kEscalate;
  act.text.assign(p, n);
  act.line = CallerLine(L);
  return 0;
}

int LDraftFaq(lua_State* L) {
  EState* s = ES(L);
  CheckActionRoom(L, s, "draft_faq");
  luaL_checktype(L, 1, LUA_TTABLE);
  size_t tn = 0, bn = 0;
  const char* title = lua_getfield(L, 1, "title") == LUA_TSTRING ? lua_tolstring(L, -1, &tn) : nullptr;
  const char* body = lua_getfield(L, 1, "body") == LUA_TSTRING ? lua_tolstring(L, -1, &bn) : nullptr;
  if (title == nullptr || body == nullptr || tn == 0 || bn == 0)
    return luaL_error(L, "draft_faq: give title= and body= as non-empty strings");
  if (tn + bn > s->limits.max_draft_bytes)
    return luaL_error(L, "draft_faq: %d bytes is over the %d-byte cap", static_cast<int>(tn + bn),
                      static_cast<int>(s->limits.max_draft_bytes));
  Action& act = s->out->actions.emplace_back();
  act.kind = ActionKind::kDraftFaq;
  act.text.assign(title, tn);
  act.body.assign(body, bn);
  act.line = CallerLine(L);
  return 0;
}

int LLog(lua_State* L) {
  EState* s = ES(L);
  CheckLive(L, s);
  const int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; ++i) {
    if (i > 1) luaL_addchar(&b, ' ');
    luaL_tolstring(L, i, nullptr);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len;
  const char* p = lua_tolstring(L, -1, &len);
  if (s->out->logs.size() >= s->limits.max_log_lines) {
    ++s->logs_dropped;
    return 0;
  }
  s->out->logs.emplace_back(p, std::min(len, s->limits.max_log_bytes));
  return 0;
}

// ---- ctx.kv ------------------------------------------------------------------------------

const char* KvKey(lua_State* L, EState* s, const char* what) {
  CheckLive(L, s);
  if (s->kv == nullptr || !s->kv->available()) luaL_error(L, "ctx.kv.%s: no key-value store configured", what);
  if (++s->kv_ops > s->limits.max_kv_ops)
    luaL_error(L, "ctx.kv.%s: more than %d calls in one handler", what, static_cast<int>(s->limits.max_kv_ops));
  size_t n;
  const char* k = luaL_checklstring(L, 1, &n);
  if (n == 0 || n > s->limits.max_kv_key_bytes) luaL_error(L, "ctx.kv.%s: key must be 1..%d bytes", what, static_cast<int>(s->limits.max_kv_key_bytes));
  s->scratch.assign(k, n);
  return k;
}

int LKvGet(lua_State* L) {
  EState* s = ES(L);
  KvKey(L, s, "get");
  bool found = false;
  try {
    std::optional<std::string> v = s->kv->Get(s->scratch);
    if ((found = v.has_value())) s->scratch = std::move(*v);
  } catch (...) {
    found = false;
  }
  if (!found) return 0;
  PushStr(L, s->scratch);
  return 1;
}

int LKvSet(lua_State* L) {
  EState* s = ES(L);
  KvKey(L, s, "set");
  size_t n = 0;
  const char* v;
  if (lua_type(L, 2) == LUA_TBOOLEAN) v = lua_toboolean(L, 2) ? "true" : "false", n = std::strlen(v);
  else v = luaL_checklstring(L, 2, &n);
  if (n > s->limits.max_kv_value_bytes)
    return luaL_error(L, "ctx.kv.set: value is over the %d-byte cap", static_cast<int>(s->limits.max_kv_value_bytes));
  const lua_Integer ttl = luaL_optinteger(L, 3, 0);
  try {
    s->kv->Set(s->scratch, std::string(v, n), ttl);
  } catch (...) {
  }
  return 0;
}

int LKvIncr(lua_State* L) {
  EState* s = ES(L);
  KvKey(L, s, "incr");
  const lua_Integer by = luaL_optinteger(L, 2, 1);
  const lua_Integer ttl = luaL_optinteger(L, 3, 0);
  lua_Integer v = 0;
  try {
    v = s->kv->Incr(s->scratch, by, ttl);
  } catch (...) {
  }
  lua_pushinteger(L, v);
  return 1;
}

// ---- require ---------------------------------------------------------------------------

bool ValidModuleName(const char* p, size_t n) {
  if (n == 0 || n > 100) return false;
  bool start = true;
  for (size_t i = 0; i < n; ++i) {
    const char c = p[i];
    if (c == '.') {
      if (start) return false;
      start = true;
      continue;
    }
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(c >= '0' && c <= '9' && !start)) return false;
    start = false;
  }
  return !start;
}

// Reads module `name` from the module folder: true with the text in s->scratch and the chunk
// name in s->scratch_list[0], or false with the error in s->scratch. The file must resolve
// (symlinks included) to a place inside the folder.
bool ReadModule(EState* s, std::string_view name) {
  namespace fs = std::filesystem;
  std::string rel(name);
  for (char& c : rel) {
    if (c == '.') c = '/';
  }
  rel += ".lua";
  std::error_code ec;
  const fs::path root = fs::canonical(s->module_dir.empty() ? "." : s->module_dir, ec);
  if (ec) {
    s->scratch = "module folder '" + s->module_dir + "' does not exist";
    return false;
  }
  const fs::path file = fs::weakly_canonical(root / rel, ec);
  const auto mismatch = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (ec || mismatch.first != root.end() || !fs::is_regular_file(file, ec)) {
    s->scratch = "module '" + std::string(name) + "' not found in the module folder";
    return false;
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    s->scratch = "cannot read module '" + std::string(name) + "'";
    return false;
  }
  s->scratch = text.str();
  s->scratch_list.assign(1, "@" + rel);
  if (std::find(s->module_paths.begin(), s->module_paths.end(), file.string()) == s->module_paths.end())
    s->module_paths.push_back(file.string());
  return true;
}

int LRequire(lua_State* L) {
  EState* s = ES(L);
  CheckLimit(L, s);
  size_t n;
  const char* name = luaL_checklstring(L, 1, &n);
  if (!ValidModuleName(name, n)) return luaL_error(L, "require: '%s' is not a module name (letters, digits, _ and dots)", name);
  lua_settop(L, 1);
  if (!s->loaded.valid()) {
    lua_newtable(L);
    s->loaded = Ref(L);
  }
  s->loaded.push(L);  // 2: this invocation's loaded modules
  lua_pushvalue(L, 1);
  if (lua_rawget(L, 2) != LUA_TNIL) {
    if (lua_touserdata(L, -1) == &kLoadingSentinel) return luaL_error(L, "require: '%s' requires itself", name);
    return 1;
  }
  lua_pop(L, 1);
  s->module_cache.push(L);  // 3: compiled modules of this engine
  lua_pushvalue(L, 1);
  if (lua_rawget(L, 3) != LUA_TFUNCTION) {
    lua_pop(L, 1);
    if (!ReadModule(s, std::string_view(name, n))) return luaL_error(L, "require: %s", s->scratch.c_str());
    if (luaL_loadbufferx(L, s->scratch.data(), s->scratch.size(), s->scratch_list[0].c_str(), "t") != LUA_OK)
      return lua_error(L);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, -2);
    lua_rawset(L, 3);
  }
  const int fn = lua_gettop(L);
  PushFreshEnv(L, s->env_mt);  // a module runs fresh per invocation too
  SetEnv(L, fn);
  lua_pushvalue(L, 1);
  lua_pushlightuserdata(L, &kLoadingSentinel);
  lua_rawset(L, 2);
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);
  lua_rawset(L, 2);
  return 1;
}


}  // namespace

// ---- Engine: setup, compile, invoke ------------------------------------------------------

namespace {

std::string LimitMessage(const VmCore* c) {
  std::string m = "limit: " + c->limit_reason;
  if (!c->limit_where.empty()) m += " at " + c->limit_where;
  return m;
}

int SetupEngine(lua_State* L) {
  EState* s = static_cast<EState*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  PushSandbox(L);
  static const luaL_Reg kApi[] = {{"assign", LAssign},     {"tag", LTag},           {"untag", LUntag},
                                  {"note", LNote},         {"priority", LPriority}, {"escalate", LEscalate},
                                  {"draft_faq", LDraftFaq}, {"log", LLog},          {"print", LLog},
                                  {"require", LRequire},   {nullptr, nullptr}};
  luaL_setfuncs(L, kApi, 0);
  PushEnvMeta(L);
  s->env_mt = Ref(L);

  lua_newtable(L);  // t: always empty; reads go through TIndex to the current event
  lua_createtable(L, 0, 4);
  lua_pushcfunction(L, TIndex);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, RoNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, TPairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  s->t_proxy = Ref(L);

  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, CtxIndex);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  s->ctx_mt = Ref(L);

  static const luaL_Reg kKv[] = {{"get", LKvGet}, {"set", LKvSet}, {"incr", LKvIncr}, {nullptr, nullptr}};
  luaL_newlib(L, kKv);
  MakeReadOnly(L);
  s->kv_table = Ref(L);

  lua_createtable(L, 0, static_cast<int>(Field::kCount));
  for (int i = 0; i < static_cast<int>(Field::kCount); ++i) {
    PushStr(L, FieldName(static_cast<Field>(i)));
    lua_pushinteger(L, i);
    lua_rawset(L, -3);
  }
  s->field_index = Ref(L);
  lua_newtable(L);
  s->module_cache = Ref(L);
  PushLazyProxy(L, &kSentimentKind);
  s->sentiment_proxy = Ref(L);
  PushLazyProxy(L, &kDecisionKind);
  s->decisions_proxy = Ref(L);
  return 0;
}

// Compiles s->scratch as script s->current (text only: binary chunks are refused).
int CompileScript(lua_State* L) {
  EState* s = static_cast<EState*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  lua_pushfstring(L, "@%s", s->scripts[s->current].name.c_str());
  if (luaL_loadbufferx(L, s->scratch.data(), s->scratch.size(), lua_tostring(L, 1), "t") != LUA_OK) return lua_error(L);
  Ref chunk(L);
  s->chunks.push_back(std::move(chunk));  // capacity reserved: no allocation here
  return 0;
}

// Runs script s->current's top level once in a scratch environment and checks its handlers.
int ProbeScript(lua_State* L) {
  EState* s = static_cast<EState*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  s->chunks[s->current].push(L);
  PushFreshEnv(L, s->env_mt);
  lua_pushvalue(L, 2);
  SetEnv(L, 1);
  lua_pushvalue(L, 1);
  lua_call(L, 0, 0);
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    if (lua_type(L, -2) == LUA_TSTRING && std::strncmp(lua_tostring(L, -2), "on_", 3) == 0) {
      const char* k = lua_tostring(L, -2);
      bool known = false;
      for (const char* h : kHandlers) known = known || std::strcmp(h, k) == 0;
      if (lua_type(L, -1) == LUA_TFUNCTION && !known) {
        lua_Debug ar;
        lua_pushvalue(L, -1);
        lua_getinfo(L, ">S", &ar);
        s->bad_handlers.emplace_back(std::string(k) + " is not a handler (known: on_ticket_created, "
                                     "on_customer_reply, on_agent_reply, on_ticket_updated, on_event)",
                                     ar.linedefined);
      } else if (lua_type(L, -1) != LUA_TFUNCTION && known) {
        s->bad_handlers.emplace_back(std::string(k) + " must be a function", 0);
      }
    }
    lua_pop(L, 1);
  }
  return 0;
}

int NewEventCache(lua_State* L) {
  EState* s = static_cast<EState*>(lua_touserdata(L, 1));
  lua_createtable(L, kSlotTerms, 0);
  s->event_cache = Ref(L);
  return 0;
}

// One handler invocation: the script's top level in a fresh environment, then its handler.
int DoInvoke(lua_State* L) {
  EState* s = static_cast<EState*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  s->chunks[s->current].push(L);  // 1
  PushFreshEnv(L, s->env_mt);     // 2
  lua_pushvalue(L, 2);
  SetEnv(L, 1);
  lua_pushvalue(L, 1);
  lua_call(L, 0, 0);
  const std::string_view handler = HandlerName(s->event->kind);
  PushStr(L, handler);
  if (lua_rawget(L, 2) == LUA_TFUNCTION) {
    s->out->handler.assign(handler);
  } else {
    lua_pop(L, 1);
    lua_pushliteral(L, "on_event");
    if (lua_rawget(L, 2) != LUA_TFUNCTION) return 0;
    s->out->handler = "on_event";
  }
  s->t_proxy.push(L);
  PushCtx(L, s);
  s->in_handler = true;
  lua_call(L, 2, 0);
  s->in_handler = false;
  return 0;
}

std::string Located(const std::string& err, const ScriptSource& src) {
  if (err.rfind(src.name + ":", 0) == 0) return src.path + err.substr(src.name.size());
  return src.path + ": " + err;
}

}  // namespace

Engine::Engine(std::unique_ptr<State> s) : s_(std::move(s)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Create(const std::vector<ScriptSource>& scripts, const Limits& limits,
                                               const std::string& module_dir) {
  auto s = std::make_unique<State>(limits);
  if (!OpenState(s.get())) return Status::Internal("cannot create a Lua state");
  s->module_dir = module_dir;
  s->scripts = scripts;
  for (auto& src : s->scripts) src.text.clear();
  std::string err;
  if (RunProtected(s->L, SetupEngine, s.get(), &err) != LUA_OK) return Status::Internal("Lua sandbox setup: " + err);
  s->chunks.reserve(scripts.size());
  for (size_t i = 0; i < scripts.size(); ++i) {
    s->current = i;
    s->scratch = scripts[i].text;
    if (RunProtected(s->L, CompileScript, s.get(), &err) != LUA_OK) return Status::InvalidArgument(Located(err, scripts[i]));
    s->scratch.clear();
    s->bad_handlers.clear();
    StartRun(s.get(), limits.instructions, limits.deadline_ms);
    const int st = RunProtected(s->L, ProbeScript, s.get(), &err);
    StopRun(s.get());
    if (s->limit_hit) return Status::InvalidArgument(Located(LimitMessage(s.get()), scripts[i]) + " (top level)");
    if (st != LUA_OK) return Status::InvalidArgument(Located(err, scripts[i]));
    if (!s->bad_handlers.empty()) {
      const auto& [msg, line] = s->bad_handlers.front();
      return Status::InvalidArgument(scripts[i].path + ":" + std::to_string(line) + ": " + msg);
    }
  }
  s->current = 0;
  return std::unique_ptr<Engine>(new Engine(std::move(s)));
}

void Engine::BeginEvent(const EventContext& event) {
  State* s = s_.get();
  s->event = &event;
  s->now_ms = event.now_ms != 0 ? event.now_ms
                                : std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count();
  RunProtected(s->L, NewEventCache, s, nullptr);
}

void Engine::EndEvent() {
  s_->event_cache.reset();
  s_->event = nullptr;
}

InvokeResult Engine::Invoke(size_t index, const Decided& decided, ScriptKv* kv) {
  State* s = s_.get();
  InvokeResult r;
  s->current = index;
  s->decided = &decided;
  s->kv = kv;
  s->out = &r;
  s->tags_named = s->kv_ops = s->logs_dropped = 0;
  s->in_handler = false;
  std::string err;
  StartRun(s, s->limits.instructions, s->limits.deadline_ms);
  const int st = RunProtected(s->L, DoInvoke, s, &err);
  StopRun(s);
  s->loaded.reset();
  r.instructions = s->counted;
  if (!s->limit_hit && (st == LUA_ERRMEM || (st != LUA_OK && s->refused_pending))) {
    MarkMemoryHit(s);  // a refused allocation ended the script before the hook saw it
    if (s->limit_where.empty()) s->limit_where = s->refused_where;
  }
  if (s->limit_hit) {
    r.outcome = Outcome::kLimit;
    r.reason = LimitMessage(s);
  } else if (st != LUA_OK) {
    const bool overflow = err.find("stack overflow") != std::string::npos;
    r.outcome = overflow ? Outcome::kLimit : Outcome::kError;
    r.reason = overflow ? "limit: " + err : err;
  } else if (r.handler.empty()) {
    r.outcome = Outcome::kNoHandler;
  }
  if (s->mem_hit) s->poisoned = true;
  if (s->logs_dropped > 0) r.logs.push_back("(" + std::to_string(s->logs_dropped) + " more log lines dropped)");
  s->out = nullptr;
  s->decided = nullptr;
  s->kv = nullptr;
  s->in_handler = false;
  return r;
}

bool Engine::poisoned() const { return s_->poisoned; }
size_t Engine::memory_bytes() const { return s_->used; }
std::vector<std::string> Engine::module_paths() const { return s_->module_paths; }

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk: return "ok";
    case Outcome::kError: return "error";
    case Outcome::kLimit: return "limit";
    case Outcome::kNoHandler: return "no_handler";
  }
  return "error";
}

// ---- Value -------------------------------------------------------------------------------

const Value* Value::Get(std::string_view key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) return &v;
  }
  return nullptr;
}

Value& Value::Set(std::string key, Value v) {
  for (auto& [k, old] : fields) {
    if (k == key) return old = std::move(v);
  }
  fields.emplace_back(std::move(key), std::move(v));
  return fields.back().second;
}

// ---- Harness -----------------------------------------------------------------------------

struct Harness::State : VmCore {
  using VmCore::VmCore;
  std::map<std::string, Fn> fns;
  Ref globals;  // the prelude's environment: what test files see (through env_mt)
  Ref env_mt;   // {__index = globals}
  std::string scratch;
  std::string chunkname;
  // Call()
  const std::string* call_name = nullptr;
  const std::vector<Value>* call_args = nullptr;
  Value* call_result = nullptr;

  ~State() override { cap = SIZE_MAX; }
};

namespace {

using HState = Harness::State;
HState* HS(lua_State* L) { return static_cast<HState*>(Core(L)); }

Value FromLua(lua_State* L, int idx, int depth) {
  idx = lua_absindex(L, idx);
  switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN: return Value::Bool(lua_toboolean(L, idx));
    case LUA_TNUMBER: return Value::Number(lua_tonumber(L, idx));
    case LUA_TSTRING: {
      size_t n;
      const char* p = lua_tolstring(L, idx, &n);
      return Value::String(std::string(p, n));
    }
    case LUA_TTABLE: {
      Value v = Value::Table();
      if (depth > 32) return v;
      const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, idx));
      for (lua_Integer i = 1; i <= n; ++i) {
        lua_rawgeti(L, idx, i);
        v.array.push_back(FromLua(L, -1, depth + 1));
        lua_pop(L, 1);
      }
      lua_pushnil(L);
      while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING) v.fields.emplace_back(lua_tostring(L, -2), FromLua(L, -1, depth + 1));
        lua_pop(L, 1);
      }
      return v;
    }
    default: return Value::Nil();
  }
}

void ToLua(lua_State* L, const Value& v) {
  luaL_checkstack(L, 4, "value too deep");
  switch (v.type) {
    case Value::Type::kNil: lua_pushnil(L); return;
    case Value::Type::kBool: lua_pushboolean(L, v.b); return;
    case Value::Type::kNumber:
      if (v.n == static_cast<double>(static_cast<lua_Integer>(v.n)) && v.n > -9e15 && v.n < 9e15)
        lua_pushinteger(L, static_cast<lua_Integer>(v.n));
      else lua_pushnumber(L, v.n);
      return;
    case Value::Type::kString: lua_pushlstring(L, v.s.data(), v.s.size()); return;
    case Value::Type::kTable:
      lua_createtable(L, static_cast<int>(v.array.size()), static_cast<int>(v.fields.size()));
      for (size_t i = 0; i < v.array.size(); ++i) {
        ToLua(L, v.array[i]);
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      for (const auto& [k, x] : v.fields) {
        lua_pushlstring(L, k.data(), k.size());
        ToLua(L, x);
        lua_rawset(L, -3);
      }
      return;
  }
}

// Calls the C++ function; pushes its result, or its error message and returns false.
bool CallHarnessFn(lua_State* L, const Harness::Fn& fn) {
  std::vector<Value> args;
  for (int i = 1; i <= lua_gettop(L); ++i) args.push_back(FromLua(L, i, 0));
  Result<Value> r = Status::Internal("exception");
  try {
    r = fn(args);
  } catch (const std::exception& e) {
    r = Status::Internal(e.what());
  }
  if (!r.ok()) {
    lua_pushstring(L, r.status().message().c_str());
    return false;
  }
  ToLua(L, r.value());
  return true;
}

int LHarnessFn(lua_State* L) {
  const auto* fn = static_cast<const Harness::Fn*>(lua_touserdata(L, lua_upvalueindex(1)));
  if (!CallHarnessFn(L, *fn)) return lua_error(L);
  return 1;
}

int LHarnessPrint(lua_State* L) {
  const int n = lua_gettop(L);
  for (int i = 1; i <= n; ++i) {
    size_t len;
    const char* p = luaL_tolstring(L, i, &len);
    if (i > 1) std::fputc('\t', stdout);
    std::fwrite(p, 1, len, stdout);
    lua_pop(L, 1);
  }
  std::fputc('\n', stdout);
  std::fflush(stdout);
  return 0;
}

bool ReadTextFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

// __load(path): compiles a text file with its own environment inheriting the harness globals.
int LHarnessLoad(lua_State* L) {
  HState* s = HS(L);
  const char* path = luaL_checkstring(L, 1);
  if (!ReadTextFile(path, &s->scratch)) return luaL_error(L, "cannot read %s", path);
  s->chunkname = "@" + std::filesystem::path(path).filename().string();
  if (luaL_loadbufferx(L, s->scratch.data(), s->scratch.size(), s->chunkname.c_str(), "t") != LUA_OK) return lua_error(L);
  const int fn = lua_gettop(L);
  PushFreshEnv(L, s->env_mt);
  SetEnv(L, fn);
  return 1;
}

int SetupHarness(lua_State* L) {
  HState* s = static_cast<HState*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  PushSandbox(L);  // 1
  lua_pushcfunction(L, LHarnessPrint);
  lua_setfield(L, 1, "print");
  lua_pushcfunction(L, LHarnessLoad);
  lua_setfield(L, 1, "__load");
  for (auto& [name, fn] : s->fns) {
    lua_pushlightuserdata(L, &fn);
    lua_pushcclosure(L, LHarnessFn, 1);
    lua_setfield(L, 1, name.c_str());
  }
  PushEnvMeta(L);  // {__index = sandbox}
  const int sandbox_mt = lua_gettop(L);
  lua_createtable(L, 0, 32);  // the prelude's globals
  lua_pushvalue(L, sandbox_mt);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "_G");
  const int globals = lua_gettop(L);
  if (luaL_loadbufferx(L, s->scratch.data(), s->scratch.size(), "@prelude", "t") != LUA_OK) return lua_error(L);
  lua_pushvalue(L, globals);
  SetEnv(L, -2);
  lua_call(L, 0, 0);
  lua_pushvalue(L, globals);
  lua_createtable(L, 0, 2);
  lua_insert(L, -2);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  s->env_mt = Ref(L);
  s->globals = Ref(L);
  return 0;
}

int HarnessCall(lua_State* L) {
  HState* s = static_cast<HState*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  s->globals.push(L);
  lua_pushlstring(L, s->call_name->data(), s->call_name->size());
  if (lua_rawget(L, 1) != LUA_TFUNCTION) return luaL_error(L, "harness has no function %s", s->call_name->c_str());
  for (const auto& a : *s->call_args) ToLua(L, a);
  lua_call(L, static_cast<int>(s->call_args->size()), 1);
  *s->call_result = FromLua(L, -1, 0);
  return 0;
}

}  // namespace

Harness::Harness(std::unique_ptr<State> s) : s_(std::move(s)) {}
Harness::~Harness() = default;

Result<std::unique_ptr<Harness>> Harness::Create(const std::string& prelude, const std::map<std::string, Fn>& fns,
                                                 const Limits& limits) {
  auto s = std::make_unique<State>(limits);
  if (!OpenState(s.get())) return Status::Internal("cannot create a Lua state");
  s->fns = fns;
  s->scratch = prelude;
  std::string err;
  StartRun(s.get(), limits.instructions, limits.deadline_ms);
  const int st = RunProtected(s->L, SetupHarness, s.get(), &err);
  StopRun(s.get());
  if (st != LUA_OK) return Status::Internal("test harness prelude: " + (s->limit_hit ? LimitMessage(s.get()) : err));
  return std::unique_ptr<Harness>(new Harness(std::move(s)));
}

Result<Value> Harness::Call(const std::string& name, const std::vector<Value>& args) {
  State* s = s_.get();
  Value result;
  s->call_name = &name;
  s->call_args = &args;
  s->call_result = &result;
  std::string err;
  StartRun(s, s->limits.instructions, s->limits.deadline_ms);
  const int st = RunProtected(s->L, HarnessCall, s, &err);
  StopRun(s);
  if (s->limit_hit) return Status::LimitExceeded(LimitMessage(s));
  if (st != LUA_OK) return Status::InvalidArgument(err);
  return result;
}

}  // namespace deskhook::scripts::binding
