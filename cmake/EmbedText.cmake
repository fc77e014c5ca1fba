# cmake -DIN=<file> -DOUT=<file.cc> -P EmbedText.cmake
# Writes a C++ source defining paddock::host::EmbeddedDefaultConfigJson() returning IN.
file(READ ${IN} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUT}
  "// Generated from ${IN}; do not edit.\n"
  "#include <string_view>\n"
  "namespace paddock::host {\n"
  "namespace { const char kData[] = {${bytes} 0}; }\n"
  "std::string_view EmbeddedDefaultConfigJson() { return {kData, sizeof(kData) - 1}; }\n"
  "}  // namespace paddock::host\n")
