Hello, ${customer.first_name}!
