# cmake/DialOptions.cmake: dial's switches for optional dependencies, as fmt spells its own.
#
# dial_dependency_option(NAME DOC [DEFAULT]) declares a tri-state cache variable:
#   AUTO (the default)  use the dependency when it is found, build without it otherwise;
#   ON                  require it: configuring fails when it is missing;
#   OFF                 never look for it.
# `if(NAME)` is true for AUTO and ON, so the caller looks for the dependency only then, and
# dial_dependency_use(NAME FOUND WHAT OUT) turns the search's result into OUT (ON or OFF), failing
# for ON when FOUND is false.

function(dial_dependency_option name doc)
  set(default AUTO)
  if(ARGC GREATER 2)
    set(default ${ARGV2})
  endif()
  set(${name} ${default} CACHE STRING "${doc} (AUTO: when found; ON: required; OFF: never)")
  set_property(CACHE ${name} PROPERTY STRINGS AUTO ON OFF)
endfunction()

function(dial_dependency_use name found what out)
  string(TOUPPER "${${name}}" value)
  if(NOT ${name})
    set(use OFF)
  elseif(found)
    set(use ON)
  elseif(value STREQUAL "AUTO")
    set(use OFF)
  else()
    message(FATAL_ERROR "dial: ${name}=${${name}} but ${what} was not found; install it or "
                        "configure with -D${name}=OFF (or AUTO)")
  endif()
  message(STATUS "dial: ${name}=${${name}}: ${what} ${use}")
  set(${out} ${use} PARENT_SCOPE)
endfunction()
