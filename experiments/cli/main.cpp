// The `wsfleet` command line.
#include <iostream>
int main() {
  std::cout << "wsfleet 0.1.0\n";
  return 0;
}
