# kk_math.cmake — unit tests of the math kernel library (codegen/kernels/
# math_*.c), compiled natively with the host compiler and linked straight into
# cmocka tests. Included from tests/codegen/CMakeLists.txt.
set(KK_MATH_KERNEL_DIR ${CMAKE_SOURCE_DIR}/codegen/kernels)
file(GLOB KK_MATH_KERNEL_SRCS ${KK_MATH_KERNEL_DIR}/math_*.c)
add_library(kk_math_hosttest STATIC ${KK_MATH_KERNEL_SRCS})
target_include_directories(kk_math_hosttest PUBLIC ${KK_MATH_KERNEL_DIR}
                           ${CMAKE_SOURCE_DIR}/runtime)
# keep assert() live in the kernels and tests whatever the build type
target_compile_options(kk_math_hosttest PRIVATE -UNDEBUG)
target_link_libraries(kk_math_hosttest PUBLIC m)

foreach(kk_t unary binary reduce norm dropout)
  add_executable(test_kk_math_${kk_t} ${CMAKE_CURRENT_LIST_DIR}/test_kk_math_${kk_t}.c)
  target_include_directories(test_kk_math_${kk_t} PRIVATE ${CMOCKA_INCLUDE})
  target_compile_options(test_kk_math_${kk_t} PRIVATE -UNDEBUG)
  target_link_libraries(test_kk_math_${kk_t} kk_math_hosttest ${CMOCKA_LIB} m)
  add_test(NAME kk_math_${kk_t} COMMAND test_kk_math_${kk_t})
endforeach()
