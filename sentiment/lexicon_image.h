// The built-in dictionary as a finished hash table, generated at build time by
// sentiment/tools/image_gen.cc from the VADER lexicon and sentiment/data/*.tsv.
#pragma once

#include "sentiment/lexicon.h"

namespace deskhook::sentiment::image {

extern const Lexicon::Image kBuiltIn;

}  // namespace deskhook::sentiment::image
