# libyaml, static: lib/libyaml.a and include/yaml.h for the cloud-init agent.
# Inputs: SRC (cwd), OUT, DEP_MUSL (toolchain), SOURCE_DATE_EPOCH.
# The orig tarball is a git export without configure; the library is six C files with no
# configuration beyond its version, so they are compiled directly (sorted: reproducible archive).
export PATH="$DEP_MUSL/bin:$PATH"
VERSION_FLAGS="-DYAML_VERSION_MAJOR=0 -DYAML_VERSION_MINOR=2 -DYAML_VERSION_PATCH=5 -DYAML_VERSION_STRING=\"0.2.5\""
mkdir -p obj
for f in $(ls src/*.c | LC_ALL=C sort); do
    riscv64-linux-musl-gcc -Os -ffile-prefix-map="$SRC"=libyaml -Iinclude $VERSION_FLAGS \
        -c "$f" -o "obj/$(basename "$f" .c).o"
done
mkdir -p "$OUT/lib" "$OUT/include"
riscv64-linux-musl-ar rcsD "$OUT/lib/libyaml.a" $(ls obj/*.o | LC_ALL=C sort)
cp include/yaml.h "$OUT/include/yaml.h"
cp License "$OUT/LICENSE"
