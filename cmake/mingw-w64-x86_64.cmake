# cmake/mingw-w64-x86_64.cmake: cross-builds for 64-bit Windows with Debian's mingw-w64 (GCC 12,
# posix thread model: std::thread, std::mutex) and runs the results under wine (the `mingw` preset).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(DIAL_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${DIAL_MINGW_TRIPLE}-gcc-posix)  # GoogleTest's project enables C too
set(CMAKE_CXX_COMPILER ${DIAL_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${DIAL_MINGW_TRIPLE}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${DIAL_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# libgcc, libstdc++ and winpthread linked in: each .exe runs under wine with no DLL to look for.
# GCC 12's static libstdc++ for mingw defines std::type_info::operator== out of line while C++23
# code gets the inline one from <typeinfo> (GCC bug 110572, fixed in GCC 13.3): both are the same
# comparison, so the linker may keep either.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -Wl,--allow-multiple-definition")

# ctest runs every test executable through this (add_test with a target name): wine, headless,
# in a prefix of the build tree's own (cmake/wine-run.sh says why it prints the output late).
find_program(DIAL_WINE NAMES wine wine64 wine-stable)
if(DIAL_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR
      sh ${CMAKE_CURRENT_LIST_DIR}/wine-run.sh ${CMAKE_BINARY_DIR}/wineprefix ${DIAL_WINE})
else()
  message(WARNING "wine not found (Debian: apt-get install wine wine64): tests cannot run")
endif()
