# Writes OUTPUT, a C file defining `const char NAME[]` with the bytes of INPUT.
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "(char)0x\\1," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp" "/* Generated from ${INPUT} by cmake/embed.cmake. */\n")
file(APPEND "${OUTPUT}.tmp" "extern const char ${NAME}[];\nconst char ${NAME}[] = {${bytes} 0x00};\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
